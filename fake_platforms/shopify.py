"""A stand-in for one Shopify shop's Admin REST API (2024-01), for the demo and the tests.

    python -m fake_platforms.shopify --port 5061 --data demo_shops/teahouse/shopify.json --token <token>

It serves the data file through the endpoints shop/platforms/shopify.py calls, with Shopify's documented paths,
payload shapes, auth header and paging (https://shopify.dev/docs/api/admin-rest/2024-01/resources/...):

    GET  /admin/api/<v>/orders.json          Order "Retrieve a list of orders": name, status (open|closed|
                                             cancelled|any, default open), customer_id, limit (50, max 250),
                                             order ("created_at desc|asc", "id desc|asc"), fields, page_info
    GET  /admin/api/<v>/orders/count.json    Order "Retrieve an order count" (status)
    GET  /admin/api/<v>/orders/<id>.json     Order "Retrieve a specific order"
    PUT  /admin/api/<v>/orders/<id>.json     Order "Update an order" ({"order": {"id", "tags", "note", ...}})
    POST /admin/api/<v>/orders/<id>/cancel.json          Order "Cancel an order" (422 once fulfilled/cancelled)
    GET  /admin/api/<v>/orders/<id>/transactions.json    Transaction "Retrieve a list of transactions"
    GET  /admin/api/<v>/products.json        Product list (limit, page_info, fields); products/count.json;
                                             products/<id>.json (fields)
    GET  /admin/api/<v>/products/<id>/metafields.json    Metafield list (namespace, key filters)
    GET  /admin/api/<v>/customers/<id>.json; customers/search.json?query=email:a@b.c (field:value terms)
    GET  /admin/api/<v>/price_rules.json (limit, page_info); price_rules/<id>/discount_codes.json

Auth: every /admin call needs ``X-Shopify-Access-Token`` equal to ``--token``, else
401 with Shopify's body. Lists are cursor-paged like Shopify: a ``Link`` header with rel="previous"/rel="next"
URLs whose ``page_info`` is an opaque cursor that carries the filters (only limit/fields go along with it).
Responses carry ``X-Shopify-Shop-Api-Call-Limit``.

The data file is JSON: products, metafields (product id -> list), customers, orders, transactions (order id ->
list), price_rules, discount_codes (rule id -> list), optional "_timezone" ("+08:00", the shop's offset). Any
value under a key ending in "_at" may be relative to now ("-3d", "-20h", "-1d-4h", "+30d"): it is resolved at load
time into an ISO string in the shop's offset, so the demo shop's orders are always fresh. An order's "customer"
may be just {"id": N}: the fake embeds the current customer record, as Shopify does.

Test hooks (never on a real Shopify):

    GET  /health
    GET  /_stats      {"METHOD /path": calls, "total": .., "throttled": .., "failed": .., "unauthorized": ..}
    POST /_control    misbehave on /admin calls; the JSON replaces the previous control:
                      {"fail_status": 503, "fail_times": 2}   answer 503 (no fail_times: until told otherwise)
                      {"delay_s": 3}                          answer every call that much later
                      {"throttle": {"times": 1, "retry_after": 1}}   the next calls answer 429 + Retry-After
                      {"rate_limit": {"every": 3, "retry_after": 1}} every 3rd call answers 429 + Retry-After
                      {"malformed": 1}      the next answers (true: all) are 200 with the wrong keys/types
                      {"not_json": 1}       the next answers (true: all) are 200 with an HTML page
    POST /_reset      reload the data file (undoing cancels/updates), clear control and stats
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.request import Request

from fake_platforms.controls import add_controls

MAX_LIMIT, DEFAULT_LIMIT, BUCKET = 250, 50, 40
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
THROTTLED = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}
NOT_FOUND = {"errors": "Not Found"}
_RELATIVE = re.compile(r"^(?:[+-]\d+(?:\.\d+)?[dhms])+$")
_RELATIVE_PART = re.compile(r"([+-]\d+(?:\.\d+)?)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


# -- the data -------------------------------------------------------------------------------------------------


def shop_timezone(raw: Dict[str, Any]) -> timezone:
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", str(raw.get("_timezone") or "+00:00"))
    if not m:
        raise ValueError("_timezone must look like +08:00")
    offset = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return timezone(-offset if m.group(1) == "-" else offset)


def resolve_dates(value: Any, now: datetime, key: str = "") -> Any:
    """The data with every relative "_at" value ("-3d", "-1d-4h") turned into an ISO time in now's offset."""
    if isinstance(value, dict):
        return {k: resolve_dates(v, now, k) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, now, key) for v in value]
    if key.endswith("_at") and isinstance(value, str) and _RELATIVE.match(value):
        delta = sum((timedelta(**{_UNITS[u]: float(n)}) for n, u in _RELATIVE_PART.findall(value)), timedelta())
        return (now + delta).replace(microsecond=0).isoformat()
    return value


class ShopData:
    """The shop's records in memory; mutations change them until the next reset."""

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.tz = shop_timezone(raw)
        data = resolve_dates(copy.deepcopy(raw), datetime.now(self.tz))
        self.products: List[Dict[str, Any]] = data.get("products", [])
        self.metafields: Dict[str, List[Dict[str, Any]]] = data.get("metafields", {})
        self.customers: List[Dict[str, Any]] = data.get("customers", [])
        self.orders: List[Dict[str, Any]] = data.get("orders", [])
        self.transactions: Dict[str, List[Dict[str, Any]]] = data.get("transactions", {})
        self.price_rules: List[Dict[str, Any]] = data.get("price_rules", [])
        self.discount_codes: Dict[str, List[Dict[str, Any]]] = data.get("discount_codes", {})

    def now(self) -> str:
        return datetime.now(self.tz).replace(microsecond=0).isoformat()

    def customer(self, cid: Any) -> Optional[Dict[str, Any]]:
        return next((c for c in self.customers if str(c["id"]) == str(cid)), None)

    def order(self, oid: str) -> Optional[Dict[str, Any]]:
        return next((o for o in self.orders if str(o["id"]) == oid), None)

    def product(self, pid: str) -> Optional[Dict[str, Any]]:
        return next((p for p in self.products if str(p["id"]) == pid), None)

    def render_order(self, order: Dict[str, Any]) -> Dict[str, Any]:
        """The order as Shopify shows it: the customer record embedded, contact details defaulted from it."""
        out = copy.deepcopy(order)
        customer = self.customer((order.get("customer") or {}).get("id"))
        if customer is not None:
            out["customer"] = copy.deepcopy(customer)
            out.setdefault("email", customer.get("email"))
            out.setdefault("phone", customer.get("phone"))
        return out


def _order_matches(order: Dict[str, Any], status: str, name: Optional[str], customer_id: Optional[str]) -> bool:
    if name is not None and order.get("name") != name:
        return False
    if customer_id is not None and str((order.get("customer") or {}).get("id")) != customer_id:
        return False
    cancelled, closed = bool(order.get("cancelled_at")), bool(order.get("closed_at"))
    return {"any": True, "cancelled": cancelled, "closed": closed, "open": not cancelled and not closed}.get(
        status, False
    )


def _sort_key(order_by: str) -> Tuple[Callable[[Dict[str, Any]], Any], bool]:
    field, _, direction = (order_by or "created_at desc").partition(" ")
    if field not in ("created_at", "updated_at", "processed_at", "id"):
        field = "created_at"
    if field == "id":
        return (lambda o: int(o["id"])), direction.lower() != "asc"
    # ISO strings in different offsets don't sort as text: compare the instants
    return (lambda o: datetime.fromisoformat(o.get(field) or o["created_at"])), direction.lower() != "asc"


def _search_customers(customers: List[Dict[str, Any]], query: str) -> List[Dict[str, Any]]:
    """Shopify's customer search, for the terms we use: "field:value" (exact, case-insensitive) or free words."""
    found = customers
    for term in query.split():
        field, sep, value = term.partition(":")
        if sep and field in ("email", "phone", "first_name", "last_name", "id"):
            found = [c for c in found if str(c.get(field) or "").lower() == value.lower()]
        else:
            found = [c for c in found if any(term.lower() in str(c.get(f) or "").lower()
                                             for f in ("email", "phone", "first_name", "last_name"))]  # fmt: skip
    return found


def _only_fields(items: List[Dict[str, Any]], fields: Optional[str]) -> List[Dict[str, Any]]:
    if not fields:
        return items
    wanted = {f.strip() for f in fields.split(",")}
    return [{k: v for k, v in item.items() if k in wanted} for item in items]


# -- paging -------------------------------------------------------------------------------------------------


def encode_cursor(state: Dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Dict[str, Any]:
    state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if not isinstance(state, dict):
        raise ValueError("not a cursor")
    return state


def _limit(request: Request) -> int:
    try:
        return max(1, min(int(request.args.get("limit") or DEFAULT_LIMIT), MAX_LIMIT))
    except ValueError:
        return DEFAULT_LIMIT


class Page:
    """One page of a list, and the Link header that names its neighbours."""

    def __init__(self, request: Request, key: str, select: Callable[[Dict[str, Any]], List[Dict[str, Any]]]):
        self.request, self.key = request, key
        cursor = request.args.get("page_info")
        # with page_info, Shopify takes the filters from the cursor; only limit and fields may go along
        self.state = decode_cursor(cursor) if cursor else {"offset": 0, "filters": _filters(request)}
        self.limit = _limit(request)
        everything = select(self.state["filters"])
        start = int(self.state["offset"])
        self.items = everything[start : start + self.limit]
        self.has_next, self.start = start + self.limit < len(everything), start

    def link(self) -> Optional[str]:
        links = []
        if self.start > 0:
            links.append(f'<{self._url(max(0, self.start - self.limit))}>; rel="previous"')
        if self.has_next:
            links.append(f'<{self._url(self.start + self.limit)}>; rel="next"')
        return ", ".join(links) or None

    def _url(self, offset: int) -> str:
        query = {"limit": self.limit, "page_info": encode_cursor({**self.state, "offset": offset})}
        if self.request.args.get("fields"):
            query["fields"] = self.request.args.get("fields")
        return f"{self.request.scheme}://{self.request.host}{self.request.path}?{urlencode(query)}"


def _filters(request: Request) -> Dict[str, str]:
    return {k: request.args.get(k) for k in ("name", "status", "customer_id", "order") if request.args.get(k)}


# -- the API ------------------------------------------------------------------------------------------------


class FakeShopify:
    def __init__(self, data_file: Path, token: str) -> None:
        self.data_file, self.token = data_file, token
        self.reset()

    def reset(self) -> None:
        self.data = ShopData(json.loads(self.data_file.read_text(encoding="utf-8")))
        self.control: Dict[str, Any] = {}
        self.stats: Counter = Counter()
        self.calls = 0

    def _countdown(self, key: str) -> bool:
        """Whether a counted control ("malformed": 2, or true for always) applies to this call."""
        value = self.control.get(key)
        if value is True:
            return True
        if isinstance(value, int) and value > 0:
            self.control[key] = value - 1
            return True
        return False

    async def misbehave(self, request: Request) -> Optional[response.HTTPResponse]:
        """The answer /_control asked for instead of the real one, if any."""
        ctl = self.control
        if ctl.get("delay_s"):
            await asyncio.sleep(float(ctl["delay_s"]))
        if request.headers.get("x-shopify-access-token") != self.token:
            self.stats["unauthorized"] += 1
            return response.json(UNAUTHORIZED, status=401)
        throttle, every = ctl.get("throttle") or {}, ctl.get("rate_limit") or {}
        if throttle.get("times", 0) > 0 or (every.get("every") and self.calls % int(every["every"]) == 0):
            if throttle.get("times", 0) > 0:
                throttle["times"] -= 1
            retry = (throttle if throttle else every).get("retry_after", 2.0)
            self.stats["throttled"] += 1
            return response.json(THROTTLED, status=429, headers={"Retry-After": f"{float(retry):.1f}"})
        if ctl.get("fail_status") and ctl.get("fail_times", 1) > 0:
            if "fail_times" in ctl:
                ctl["fail_times"] -= 1
            self.stats["failed"] += 1
            return response.json({"errors": "Internal Server Error"}, status=int(ctl["fail_status"]))
        return None

    async def handle(self, request: Request, version: str, rest: str) -> response.HTTPResponse:
        self.calls += 1
        self.stats["total"] += 1
        self.stats[f"{request.method} {request.path}"] += 1
        refused = await self.misbehave(request)
        if refused is not None:
            return refused
        try:
            status, body, headers = self.route(request, rest)
        except (ValueError, TypeError, KeyError) as exc:  # a bad parameter or cursor
            return response.json({"errors": f"Bad Request: {exc}"}, status=400)
        headers["X-Shopify-Shop-Api-Call-Limit"] = f"{min(BUCKET, 1 + self.calls % BUCKET)}/{BUCKET}"
        if status == 200 and self._countdown("not_json"):
            return response.html("<html><body>Something went wrong</body></html>", headers=headers)
        if status == 200 and self._countdown("malformed"):
            body = mangle(body)
        return response.json(body, status=status, headers=headers)

    def route(self, request: Request, rest: str) -> Tuple[int, Any, Dict[str, str]]:
        for method, pattern, handler in self._routes():
            m = re.fullmatch(pattern, rest)
            if m and request.method == method:
                return handler(request, *m.groups())
        return 404, NOT_FOUND, {}

    def _routes(self) -> List[Tuple[str, str, Callable[..., Tuple[int, Any, Dict[str, str]]]]]:
        return [
            ("GET", r"orders\.json", self.list_orders),
            ("GET", r"orders/count\.json", self.count_orders),
            ("GET", r"orders/(\d+)\.json", self.get_order),
            ("PUT", r"orders/(\d+)\.json", self.update_order),
            ("POST", r"orders/(\d+)/cancel\.json", self.cancel_order),
            ("GET", r"orders/(\d+)/transactions\.json", self.list_transactions),
            ("GET", r"products\.json", self.list_products),
            ("GET", r"products/count\.json", lambda _: (200, {"count": len(self.data.products)}, {})),
            ("GET", r"products/(\d+)\.json", self.get_product),
            ("GET", r"products/(\d+)/metafields\.json", self.list_metafields),
            ("GET", r"customers/search\.json", self.search_customers),
            ("GET", r"customers/(\d+)\.json", self.get_customer),
            ("GET", r"price_rules\.json", self.list_price_rules),
            ("GET", r"price_rules/(\d+)/discount_codes\.json", self.list_discount_codes),
        ]

    # orders

    def _select_orders(self, filters: Dict[str, str]) -> List[Dict[str, Any]]:
        status, name, cid = filters.get("status", "open"), filters.get("name"), filters.get("customer_id")
        found = [o for o in self.data.orders if _order_matches(o, status, name, cid)]
        key, reverse = _sort_key(filters.get("order", ""))
        return [self.data.render_order(o) for o in sorted(found, key=key, reverse=reverse)]

    def list_orders(self, request: Request) -> Tuple[int, Any, Dict[str, str]]:
        return self._page(request, "orders", self._select_orders)

    def count_orders(self, request: Request) -> Tuple[int, Any, Dict[str, str]]:
        return 200, {"count": len(self._select_orders(_filters(request)))}, {}

    def get_order(self, request: Request, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        order = self.data.order(oid)
        if order is None:
            return 404, NOT_FOUND, {}
        return 200, {"order": _only_fields([self.data.render_order(order)], request.args.get("fields"))[0]}, {}

    def update_order(self, request: Request, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        order = self.data.order(oid)
        if order is None:
            return 404, NOT_FOUND, {}
        changes = (request.json or {}).get("order") if isinstance(request.json, dict) else None
        if not isinstance(changes, dict):
            return 400, {"errors": {"order": "Required parameter missing or invalid"}}, {}
        for key in ("tags", "note", "email", "phone", "buyer_accepts_marketing", "note_attributes"):
            if key in changes:
                order[key] = changes[key]
        order["updated_at"] = self.data.now()
        return 200, {"order": self.data.render_order(order)}, {}

    def cancel_order(self, request: Request, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        order = self.data.order(oid)
        if order is None:
            return 404, NOT_FOUND, {}
        if order.get("cancelled_at"):
            return 422, {"errors": {"base": ["Order has already been cancelled"]}}, {}
        if order.get("fulfillments") or order.get("fulfillment_status"):
            return 422, {"errors": {"base": ["Cannot cancel an order that has fulfillments"]}}, {}
        body = request.json if isinstance(request.json, dict) else {}
        order["cancelled_at"] = order["updated_at"] = order["closed_at"] = self.data.now()
        order["cancel_reason"] = body.get("reason") or "other"
        if order.get("financial_status") in ("pending", "authorized"):
            order["financial_status"] = "voided"  # the authorisation is released
        return 200, {"order": self.data.render_order(order)}, {}

    def list_transactions(self, _: Request, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        if self.data.order(oid) is None:
            return 404, NOT_FOUND, {}
        return 200, {"transactions": self.data.transactions.get(oid, [])}, {}

    # products, customers, price rules

    def list_products(self, request: Request) -> Tuple[int, Any, Dict[str, str]]:
        return self._page(request, "products", lambda _: sorted(self.data.products, key=lambda p: int(p["id"])))

    def get_product(self, request: Request, pid: str) -> Tuple[int, Any, Dict[str, str]]:
        product = self.data.product(pid)
        if product is None:
            return 404, NOT_FOUND, {}
        return 200, {"product": _only_fields([product], request.args.get("fields"))[0]}, {}

    def list_metafields(self, request: Request, pid: str) -> Tuple[int, Any, Dict[str, str]]:
        if self.data.product(pid) is None:
            return 404, NOT_FOUND, {}
        found = self.data.metafields.get(pid, [])
        for key in ("namespace", "key"):
            if request.args.get(key):
                found = [m for m in found if m.get(key) == request.args.get(key)]
        return 200, {"metafields": found}, {}

    def get_customer(self, _: Request, cid: str) -> Tuple[int, Any, Dict[str, str]]:
        customer = self.data.customer(cid)
        return (404, NOT_FOUND, {}) if customer is None else (200, {"customer": customer}, {})

    def search_customers(self, request: Request) -> Tuple[int, Any, Dict[str, str]]:
        found = _search_customers(self.data.customers, request.args.get("query") or "")
        return 200, {"customers": found[: _limit(request)]}, {}

    def list_price_rules(self, request: Request) -> Tuple[int, Any, Dict[str, str]]:
        return self._page(request, "price_rules", lambda _: sorted(self.data.price_rules, key=lambda r: int(r["id"])))

    def list_discount_codes(self, _: Request, rid: str) -> Tuple[int, Any, Dict[str, str]]:
        if not any(str(r["id"]) == rid for r in self.data.price_rules):
            return 404, NOT_FOUND, {}
        return 200, {"discount_codes": self.data.discount_codes.get(rid, [])}, {}

    def _page(self, request: Request, key: str, select: Callable) -> Tuple[int, Any, Dict[str, str]]:
        page = Page(request, key, select)
        link = page.link()
        items = _only_fields(page.items, request.args.get("fields"))
        return 200, {key: items}, ({"Link": link} if link else {})


def mangle(body: Any) -> Any:
    """A payload of the right outline with the wrong insides: objects lose their fields, counts become words."""
    if not isinstance(body, dict):
        return {"unexpected": True}
    out: Dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, list):
            out[key] = [{"id": "junk"}] if value else "none"
        elif isinstance(value, dict):
            out[key] = {"id": "junk"}
        else:
            out[key] = "many"
    return out


def create_app(shop: FakeShopify, name: str = "fake_shopify") -> Sanic:
    app = Sanic(name)

    @app.route("/admin/api/<version>/<rest:path>", methods=["GET", "POST", "PUT"])
    async def api(request: Request, version: str, rest: str) -> response.HTTPResponse:
        return await shop.handle(request, version, rest)

    add_controls(app, shop)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description="a fake Shopify Admin REST API for the kefu demo and tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5061)
    ap.add_argument("--data", type=Path, default=Path("demo_shops/teahouse/shopify.json"))
    ap.add_argument("--token", required=True, help="the Admin API access token to accept")
    args = ap.parse_args(argv)
    create_app(FakeShopify(args.data, args.token)).run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
