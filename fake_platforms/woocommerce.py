"""A stand-in for a WooCommerce shop's REST API (v3), for the WooCommerce adapter's tests and demos.

    python -m fake_platforms.woocommerce --port 5061 --data tests/platforms/woocommerce_shop.json \\
        --key ck_test --secret cs_test

It serves the documented endpoints the adapter (shop/platforms/woocommerce.py) uses, with WooCommerce's
payload shapes, under /wp-json/wc/v3:

    GET  orders                  page, per_page (1..100, default 10), search, status, customer, include,
                                 orderby (date|id), order (asc|desc; default date desc)
    GET  orders/<id>             PUT orders/<id>  {"status": ..., "meta_data": [{"key", "value"}], "customer_note"}
    GET  orders/<id>/notes       POST orders/<id>/notes {"note", "customer_note"}  (a note made through the API
                                 is added_by_user: true, like WooCommerce's own controller does)
    GET  orders/<id>/refunds
    GET  products                page, per_page, status, include, sku, search, type
    GET  products/<id>           GET products/<id>/variations (page, per_page)
    GET  customers               page, per_page, email, role, search;   GET customers/<id>
    GET  coupons                 page, per_page, code, search;          GET coupons/<id>

Lists carry X-WP-Total and X-WP-TotalPages (and a Link rel="next"), as WordPress sends them. Auth is HTTP Basic
with the consumer key and secret (or ?consumer_key=&consumer_secret=), checked against --key/--secret.
Errors use WooCommerce's JSON body {"code", "message", "data": {"status"}}:
401 woocommerce_rest_cannot_view without credentials, woocommerce_rest_authentication_error with wrong ones;
404 woocommerce_rest_<type>_invalid_id; 400 rest_invalid_param (e.g. per_page over 100).

The data file (--data) is {"products", "customers", "orders", "coupons"} in WooCommerce's shapes, plus keys
only the file has: a product's "_variations" (its variation objects), an order's "_notes" and "_refunds"
(served by the sub-endpoints; the order's own "refunds" summary is derived). Any "date_*" value may be relative
to the start ("-3d", "-20h", "+15m"): it becomes "YYYY-MM-DDTHH:MM:SS" (UTC, no offset, as WooCommerce writes
date_*_gmt), or unix seconds for Shipment Tracking's "date_shipped". date_X is filled from date_X_gmt (the
fake site's time zone is UTC); an order's "number" defaults to its id.

Test hooks (no auth):
    GET  /health
    GET  /_stats       calls by "METHOD /path" plus api_calls, unauthorized, failed, rate_limited, malformed
    POST /_reset       back to the data file; forget control and stats
    POST /_control     misbehave on API calls (replaces the previous control):
        {"fail_status": 503, "fail_times": 2, "retry_after": 1}   answer that status (without fail_times: always);
                                                                   retry_after adds a Retry-After header
        {"delay_s": 3, "delay_times": 1}                          sleep before answering (without delay_times: always)
        {"rate_limit": {"every": 3, "retry_after": 1}}            every 3rd API call answers 429 + Retry-After, as
                                                                   hosting providers and WooCommerce's Store API
                                                                   rate limiter do
        {"malformed": true, "malformed_times": 1}                 answer 200 with objects cut down to their id
        {"path": "/products"}                                     limit all of the above to paths containing it
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import math
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.request import Request

from fake_platforms.controls import add_controls

API = "/wp-json/wc/v3"
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash",
                  "checkout-draft")  # fmt: skip
_RELATIVE = re.compile(r"^([+-]\d+(?:\.\d+)?)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def wc_error(code: str, message: str, status: int, headers: Optional[Dict[str, str]] = None) -> response.HTTPResponse:
    return response.json({"code": code, "message": message, "data": {"status": status}}, status=status, headers=headers)


def resolve_dates(value: Any, now: datetime, key: str = "") -> Any:
    """The data file with relative dates ("-3d") made absolute, recursively."""
    if isinstance(value, dict):
        out = {k: resolve_dates(v, now, k) for k, v in value.items()}
        for k in list(out):
            if k.startswith("date_") and k.endswith("_gmt") and k[: -len("_gmt")] not in out:
                out[k[: -len("_gmt")]] = out[k]  # the site's local time: the fake site runs on UTC
        return out
    if isinstance(value, list):
        return [resolve_dates(v, now, key) for v in value]
    m = _RELATIVE.match(value) if isinstance(value, str) and key.startswith("date_") else None
    if not m:
        return value
    at = now + timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    if key == "date_shipped":  # Shipment Tracking stores unix seconds as a string
        return str(int(at.replace(tzinfo=timezone.utc).timestamp()))
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def public(obj: Dict[str, Any]) -> Dict[str, Any]:
    """What the API shows of a stored object: without the data file's own "_..." keys."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def cut_down(body: Any) -> Any:
    """A malformed answer: every object reduced to its id."""
    if isinstance(body, list):
        return [{"id": b.get("id")} if isinstance(b, dict) else b for b in body]
    if isinstance(body, dict):
        return {"id": body.get("id")}
    return body


class WooShop:
    def __init__(self, data: Dict[str, Any], key: str, secret: str) -> None:
        self.key, self.secret = key, secret
        self.pristine = resolve_dates(data, datetime.utcnow().replace(microsecond=0))
        self.reset()

    def reset(self) -> None:
        data = copy.deepcopy(self.pristine)
        self.products = {int(p["id"]): self._product(p) for p in data.get("products", [])}
        self.customers = {int(c["id"]): c for c in data.get("customers", [])}
        self.orders = {int(o["id"]): self._order(o) for o in data.get("orders", [])}
        self.coupons = {int(c["id"]): c for c in data.get("coupons", [])}
        self.next_id = 1 + max([90000, *self._all_ids()])
        self.control: Dict[str, Any] = {}
        self.stats: Counter = Counter()

    def _all_ids(self) -> List[int]:
        ids = [*self.products, *self.customers, *self.orders, *self.coupons]
        for o in self.orders.values():
            ids += [int(n["id"]) for n in o["_notes"]] + [int(r["id"]) for r in o["_refunds"]]
        for m in [*self.orders.values(), *self.customers.values(), *self.products.values()]:
            ids += [int(x["id"]) for x in m.get("meta_data", []) if isinstance(x, dict) and "id" in x]
        return ids

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    @staticmethod
    def _product(p: Dict[str, Any]) -> Dict[str, Any]:
        p.setdefault("type", "simple")
        p.setdefault("status", "publish")
        p["_variations"] = [{"status": "publish", "attributes": [], **v} for v in p.get("_variations", [])]
        p["variations"] = [int(v["id"]) for v in p["_variations"]]
        return p

    @staticmethod
    def _order(o: Dict[str, Any]) -> Dict[str, Any]:
        o.setdefault("number", str(o["id"]))
        o.setdefault("meta_data", [])
        o["_notes"] = [{"author": "WooCommerce", "added_by_user": False, "customer_note": False, **n}
                       for n in o.get("_notes", [])]  # fmt: skip
        o["_refunds"] = o.get("_refunds", [])
        o["refunds"] = [{"id": r["id"], "reason": r.get("reason", ""), "total": f"-{float(r['amount']):.2f}"}
                        for r in o["_refunds"]]  # fmt: skip
        return o

    # ---- the gate every API call passes -----------------------------------------------------------------

    def authorized(self, request: Request) -> Optional[response.HTTPResponse]:
        """None when the credentials are right, else WooCommerce's 401."""
        key, secret = request.args.get("consumer_key"), request.args.get("consumer_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except ValueError:
                key = secret = None
        if not key:
            return wc_error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        if key != self.key:
            return wc_error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        if secret != self.secret:
            return wc_error("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
        return None

    def _applies(self, request: Request) -> bool:
        return str(self.control.get("path") or "") in request.path

    @staticmethod
    def _spend(ctl: Dict[str, Any], times_key: str) -> bool:
        """Whether a misbehaviour with an optional countdown applies to this call (and count it down)."""
        if times_key not in ctl:
            return True
        if ctl[times_key] <= 0:
            return False
        ctl[times_key] -= 1
        return True

    async def gate(self, request: Request) -> Optional[response.HTTPResponse]:
        self.stats[f"{request.method} {request.path}"] += 1
        self.stats["api_calls"] += 1
        refused = self.authorized(request)
        if refused is not None:
            self.stats["unauthorized"] += 1
            return refused
        ctl = self.control
        if not self._applies(request):
            return None
        if ctl.get("delay_s") and self._spend(ctl, "delay_times"):
            await asyncio.sleep(float(ctl["delay_s"]))
        limit = ctl.get("rate_limit") or {}
        if limit.get("every"):
            ctl["_seen"] = ctl.get("_seen", 0) + 1
            if ctl["_seen"] % int(limit["every"]) == 0:
                self.stats["rate_limited"] += 1
                headers = {"Retry-After": str(limit.get("retry_after", 1))}
                return wc_error("woocommerce_rest_too_many_requests", "Too many requests.", 429, headers)
        if ctl.get("fail_status") and self._spend(ctl, "fail_times"):
            status = int(ctl["fail_status"])
            self.stats["rate_limited" if status == 429 else "failed"] += 1
            headers = {"Retry-After": str(ctl["retry_after"])} if "retry_after" in ctl else None
            return wc_error("fake_failure", "Failing on purpose.", status, headers)
        return None

    def answer(self, request: Request, body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None):
        ctl = self.control
        if ctl.get("malformed") and self._applies(request) and self._spend(ctl, "malformed_times"):
            self.stats["malformed"] += 1
            body = cut_down(body)
        return response.json(body, status=status, headers=headers)

    def page(self, request: Request, rows: List[Dict[str, Any]]) -> response.HTTPResponse:
        """One page of a list, with WordPress's paging headers."""
        try:
            per_page = int(request.args.get("per_page", 10))
            page = int(request.args.get("page", 1))
        except ValueError:
            return wc_error("rest_invalid_param", "Invalid parameter(s): page, per_page", 400)
        if not 1 <= per_page <= 100:
            return wc_error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
        if page < 1:
            return wc_error("rest_invalid_param", "Invalid parameter(s): page", 400)
        pages = max(1, math.ceil(len(rows) / per_page))
        headers = {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)}
        if page < pages:
            query = urlencode({**{k: v[0] for k, v in request.args.items()}, "page": page + 1})
            headers["Link"] = f'<{request.url.split("?")[0]}?{query}>; rel="next"'
        return self.answer(request, [public(r) for r in rows[(page - 1) * per_page : page * per_page]], 200, headers)

    # ---- queries ----------------------------------------------------------------------------------------

    @staticmethod
    def _ids(value: Optional[str]) -> Optional[set]:
        return {int(v) for v in value.split(",") if v.strip().isdigit()} if value else None

    @staticmethod
    def _sorted(rows: List[Dict[str, Any]], request: Request) -> List[Dict[str, Any]]:
        by = request.args.get("orderby", "date")
        key: Callable[[Dict[str, Any]], Any] = (
            (lambda r: int(r["id"])) if by == "id" else (lambda r: (r.get("date_created_gmt") or "", int(r["id"])))
        )
        return sorted(rows, key=key, reverse=request.args.get("order", "desc") != "asc")

    def list_orders(self, request: Request) -> List[Dict[str, Any]]:
        rows = list(self.orders.values())
        statuses = request.args.get("status", "any")
        if statuses != "any":
            rows = [o for o in rows if o["status"] in statuses.split(",")]
        if request.args.get("customer"):
            rows = [o for o in rows if str(o.get("customer_id")) == request.args.get("customer")]
        include = self._ids(request.args.get("include"))
        if include is not None:
            rows = [o for o in rows if int(o["id"]) in include]
        term = (request.args.get("search") or "").strip().lower()
        if term:
            rows = [o for o in rows if term in self._order_text(o)]
        return self._sorted(rows, request)

    @staticmethod
    def _order_text(o: Dict[str, Any]) -> str:
        """What WooCommerce's order search looks in: id, number, addresses, email, phone, item names."""
        billing, shipping = o.get("billing") or {}, o.get("shipping") or {}
        parts = [str(o["id"]), str(o["number"]), *map(str, billing.values()), *map(str, shipping.values())]
        parts += [str(i.get("name", "")) for i in o.get("line_items", [])]
        return " ".join(parts).lower()

    def list_products(self, request: Request) -> List[Dict[str, Any]]:
        rows = list(self.products.values())
        status = request.args.get("status", "any")
        if status != "any":
            rows = [p for p in rows if p["status"] == status]
        include = self._ids(request.args.get("include"))
        if include is not None:
            rows = [p for p in rows if int(p["id"]) in include]
        for field in ("sku", "type"):
            if request.args.get(field):
                rows = [p for p in rows if str(p.get(field)) == request.args.get(field)]
        term = (request.args.get("search") or "").strip().lower()
        if term:
            rows = [p for p in rows if term in str(p.get("name", "")).lower()]
        return self._sorted(rows, request)

    def list_customers(self, request: Request) -> List[Dict[str, Any]]:
        rows = list(self.customers.values())
        if request.args.get("email"):
            rows = [c for c in rows if str(c.get("email", "")).lower() == request.args.get("email").lower()]
        if request.args.get("role", "all") != "all":
            rows = [c for c in rows if c.get("role") == request.args.get("role")]
        term = (request.args.get("search") or "").strip().lower()
        if term:
            rows = [c for c in rows if term in json.dumps(c, ensure_ascii=False).lower()]
        return sorted(rows, key=lambda c: int(c["id"]))

    def list_coupons(self, request: Request) -> List[Dict[str, Any]]:
        rows = list(self.coupons.values())
        code = (request.args.get("code") or "").strip().lower()
        if code:  # WooCommerce stores codes in lower case and matches them so
            rows = [c for c in rows if str(c["code"]).lower() == code]
        term = (request.args.get("search") or "").strip().lower()
        if term:
            rows = [c for c in rows if term in str(c["code"]).lower()]
        return self._sorted(rows, request)

    # ---- writes -----------------------------------------------------------------------------------------

    def update_order(self, order: Dict[str, Any], body: Dict[str, Any]) -> Optional[response.HTTPResponse]:
        """Apply a PUT body; a WooCommerce error response when it is invalid."""
        now = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S")
        if "status" in body:
            if body["status"] not in ORDER_STATUSES:
                return wc_error("rest_invalid_param", "Invalid parameter(s): status", 400)
            if body["status"] == "completed" and order["status"] != "completed":
                order["date_completed_gmt"] = order["date_completed"] = now
            order["status"] = body["status"]
        meta = body.get("meta_data", [])
        if not isinstance(meta, list) or not all(isinstance(m, dict) and "key" in m for m in meta):
            return wc_error("rest_invalid_param", "Invalid parameter(s): meta_data", 400)
        for m in meta:  # like WC_Data::update_meta_data: by id, else the first of that key, else a new one
            by_id = [x for x in order["meta_data"] if m.get("id") is not None and x.get("id") == m["id"]]
            existing = by_id or [x for x in order["meta_data"] if x.get("key") == m["key"]]
            if existing:
                existing[0]["value"] = m.get("value")
            else:
                order["meta_data"].append({"id": self.new_id(), "key": m["key"], "value": m.get("value")})
        if "customer_note" in body:
            order["customer_note"] = str(body["customer_note"])
        order["date_modified_gmt"] = order["date_modified"] = now
        return None

    def add_note(self, order: Dict[str, Any], body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        note = body.get("note")
        if not isinstance(note, str) or not note.strip():
            return None
        now = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S")
        entry = {"id": self.new_id(), "author": "kefu", "date_created": now, "date_created_gmt": now, "note": note,
                 "customer_note": bool(body.get("customer_note")), "added_by_user": True}  # fmt: skip
        order["_notes"].append(entry)
        return entry


def create_app(shop: WooShop, name: str = "fake_woocommerce") -> Sanic:
    app = Sanic(name)

    def missing(kind: str) -> response.HTTPResponse:
        code = f"woocommerce_rest_{kind}_invalid_id" if kind else "woocommerce_rest_invalid_id"
        return wc_error(code, "Invalid ID.", 404)

    @app.middleware("request")
    async def gate(request: Request) -> Optional[response.HTTPResponse]:
        if request.path.startswith(API):
            return await shop.gate(request)
        return None

    @app.get(f"{API}/orders")
    async def orders(request: Request) -> response.HTTPResponse:
        return shop.page(request, shop.list_orders(request))

    @app.get(f"{API}/orders/<order_id:int>")
    async def order(request: Request, order_id: int) -> response.HTTPResponse:
        o = shop.orders.get(order_id)
        return shop.answer(request, public(o)) if o else missing("shop_order")

    @app.put(f"{API}/orders/<order_id:int>")
    async def update_order(request: Request, order_id: int) -> response.HTTPResponse:
        o = shop.orders.get(order_id)
        if o is None:
            return missing("shop_order")
        body = request.json if isinstance(request.json, dict) else {}
        refused = shop.update_order(o, body)
        return refused or shop.answer(request, public(o))

    @app.get(f"{API}/orders/<order_id:int>/notes")
    async def notes(request: Request, order_id: int) -> response.HTTPResponse:
        o = shop.orders.get(order_id)
        if o is None:
            return missing("shop_order")
        kind = request.args.get("type", "any")
        rows = [n for n in o["_notes"] if kind == "any" or n["customer_note"] == (kind == "customer")]
        return shop.answer(request, sorted(rows, key=lambda n: (n.get("date_created_gmt", ""), n["id"]), reverse=True))

    @app.post(f"{API}/orders/<order_id:int>/notes")
    async def add_note(request: Request, order_id: int) -> response.HTTPResponse:
        o = shop.orders.get(order_id)
        if o is None:
            return missing("shop_order")
        entry = shop.add_note(o, request.json if isinstance(request.json, dict) else {})
        if entry is None:
            return wc_error("rest_missing_callback_param", "Missing parameter(s): note", 400)
        return shop.answer(request, entry, 201)

    @app.get(f"{API}/orders/<order_id:int>/refunds")
    async def refunds(request: Request, order_id: int) -> response.HTTPResponse:
        o = shop.orders.get(order_id)
        if o is None:
            return missing("shop_order")
        return shop.page(request, sorted(o["_refunds"], key=lambda r: r.get("date_created_gmt", ""), reverse=True))

    @app.get(f"{API}/products")
    async def products(request: Request) -> response.HTTPResponse:
        return shop.page(request, shop.list_products(request))

    @app.get(f"{API}/products/<product_id:int>")
    async def product(request: Request, product_id: int) -> response.HTTPResponse:
        p = shop.products.get(product_id)
        return shop.answer(request, public(p)) if p else missing("product")

    @app.get(f"{API}/products/<product_id:int>/variations")
    async def variations(request: Request, product_id: int) -> response.HTTPResponse:
        p = shop.products.get(product_id)
        if p is None:
            return missing("product")
        return shop.page(request, [{**v, "parent_id": product_id} for v in p["_variations"]])

    @app.get(f"{API}/customers")
    async def customers(request: Request) -> response.HTTPResponse:
        return shop.page(request, shop.list_customers(request))

    @app.get(f"{API}/customers/<customer_id:int>")
    async def customer(request: Request, customer_id: int) -> response.HTTPResponse:
        c = shop.customers.get(customer_id)
        return shop.answer(request, public(c)) if c else missing("")

    @app.get(f"{API}/coupons")
    async def coupons(request: Request) -> response.HTTPResponse:
        return shop.page(request, shop.list_coupons(request))

    @app.get(f"{API}/coupons/<coupon_id:int>")
    async def coupon(request: Request, coupon_id: int) -> response.HTTPResponse:
        c = shop.coupons.get(coupon_id)
        return shop.answer(request, public(c)) if c else missing("shop_coupon")

    add_controls(app, shop)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description="a fake WooCommerce REST API (v3) for the kefu tests and demo")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5061)
    ap.add_argument("--data", required=True, type=Path, help="the shop's data (JSON, WooCommerce's shapes)")
    ap.add_argument("--key", required=True, help="the consumer key to accept")
    ap.add_argument("--secret", required=True, help="the consumer secret to accept")
    args = ap.parse_args(argv)
    shop = WooShop(json.loads(args.data.read_text(encoding="utf-8")), args.key, args.secret)
    create_app(shop).run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
