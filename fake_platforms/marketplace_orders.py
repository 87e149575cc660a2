"""The order API of the fake marketplace: the shop's orders, catalog, buyers and vouchers, for the demo and tests.

fake_marketplace/service.py mounts it (``--orders FILE``; without it the API answers with an empty shop):

    python -m fake_marketplace.service --port 5058 --orders tests/platforms/marketplace_shop.json

It is modelled on the open platforms of the big marketplaces (Shopee Open Platform v2; Lazada and TikTok Shop
are alike), as REST under the marketplace's existing path ``/api/v1/shops/<shop>/...`` with the same
``Authorization: Bearer <MARKETPLACE_ACCESS_TOKEN>`` the channel's replies carry:

    GET  /api/v1/shops/<shop>/orders?page_size=&cursor=&buyer_email=&buyer_user_id=
         {"orders": [order, ...], "more": bool, "next_cursor": "..." ("" on the last page)}, newest first;
         order.get_order_list, but with the details inline (as TikTok Shop's order search has them)
    GET  /api/v1/shops/<shop>/orders/count?buyer_email=       {"total": n}
    GET  /api/v1/shops/<shop>/orders/<order_sn>               {"order": order}; order.get_order_detail with
         the package's tracking number folded in (logistics.get_tracking_number)
    POST /api/v1/shops/<shop>/orders/<order_sn>/cancel        {"reason": ...} -> 200 {"order_sn",
         "previous_status", "order_status": "CANCELLED"} | 409 {"error": "cannot_cancel"}; order.cancel_order
    POST /api/v1/shops/<shop>/orders/<order_sn>/returns       {"type": "RETURN"|"EXCHANGE", "reason": ...}
         -> 201 {"return": ...} | 409 {"error": "return_exists"} | 409 {"error": "cannot_return"} (not shipped)
    GET  /api/v1/shops/<shop>/products?page_size=&cursor=    {"items": [...], "total_count": n, "more",
         "next_cursor"}; product.get_item_list + get_item_base_info + get_model_list in one
    GET  /api/v1/shops/<shop>/buyers/<buyer_user_id>          {"buyer": {...}}; ids are the channel's buyer ids
    GET  /api/v1/shops/<shop>/vouchers?voucher_code=&page_size=&cursor=   {"vouchers": [...], "more",
         "next_cursor"}; voucher.get_voucher_list (each voucher's "status" is upcoming/ongoing/expired, as now)

An order: order_sn ("240531ABC123": YYMMDD + 6 upper-case letters/digits, like Shopee's), order_status
(UNPAID, READY_TO_SHIP, PROCESSED, SHIPPED, TO_CONFIRM_RECEIVE, COMPLETED, IN_CANCEL, CANCELLED, TO_RETURN),
create_time/pay_time/ship_time/complete_time/update_time (unix seconds or null), total_amount, currency,
buyer {buyer_user_id, username, name, email, phone, vip}, recipient_address {name, phone, city, region
(country code)}, item_list [{item_id, item_sku, item_name, item_name_zh, category, model_name "Black,M",
quantity, price}], package {shipping_carrier, tracking_number, logistics_status (LOGISTICS_*), last_location,
last_update_time, estimated_delivery_time} or null, return {return_sn, status (REQUESTED, PROCESSING,
REFUNDED, REJECTED, CLOSED), type (RETURN|EXCHANGE), reason, create_time, refund_amount, refund_time} or null,
payment {method, failures [{reason_code, time}]}.

A product: item_id, item_sku, item_name, item_name_zh, category, price, description, description_zh, aliases,
colours (the colour option's values), models [{model_name "Black,M" | "Black" | "M", stock}] (none and an
item-level "stock" when the item has no variations), size_chart [{size, height_cm, weight_kg | foot_cm}]
(optional). A voucher: voucher_code, discount_type (fix_amount|percentage), discount_amount | percentage,
min_basket_price, start_time, end_time.

The data file holds {"buyers", "orders", "products", "vouchers"} in those shapes, except that an order names
its buyer by "buyer_user_id" and its items by "item_id" (the fake fills in the rest from "buyers" and
"products"), and that any "*_time" or "time" may be written relative to when the file is loaded: "now-6d",
"now+30d", "now-5h", "now-15m", "now".

Errors: 401 {"error": "invalid_access_token"}; 403 {"error": "shop_not_authorized"} for another shop;
404 {"error": "not_found"}; 400 {"error": "invalid_page_size" | "invalid_cursor" | "invalid_type"};
429 {"error": "too_many_requests"} with Retry-After.

Test controls (separate from the channel's /_control, which they never touch):

    POST /_orders_control   misbehave on the order API only: {"fail_status": 503, "fail_times": 2 (none: until
                            told otherwise), "delay_s": 3, "rate_limit": {"times": 1 | "every": 3,
                            "retry_after": 1}, "malformed": "shape" (JSON of the wrong shape) | "types" (the
                            right keys, but times as ISO text and counts as words) | "not_json"}
    GET  /_orders_stats     counts: "calls", one per endpoint ("GET orders/<sn>", ...), "rate_limited",
                            "refused", "unauthorized"
    POST /_orders_reset     the data as loaded (cancellations and returns undone), no control, no counts
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Sanic, response
from sanic.request import Request

SHOP_PATH = "/api/v1/shops/<shop>"
ORDER_SN = "<order_sn:[0-9A-Za-z]{1,40}>"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
OPEN_RETURN = ("REQUESTED", "PROCESSING")
CANCELLABLE = ("UNPAID", "READY_TO_SHIP", "PROCESSED")
NOT_SHIPPED = ("UNPAID", "READY_TO_SHIP", "PROCESSED", "IN_CANCEL", "CANCELLED")
# one body that matches no endpoint's shape: every list is a number, every object a string
MALFORMED = {"order": "oops", "orders": 7, "items": "x", "buyer": [1], "vouchers": {"a": 1}, "total": "many",
             "total_count": None, "more": True, "next_cursor": "c-1"}  # fmt: skip
_RELATIVE = re.compile(r"^now(?:([+-]\d+(?:\.\d+)?)([dhm]))?$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}

Json = Dict[str, Any]


def load_data(path: Optional[Path], now: Optional[float] = None) -> Json:
    """The shop in a data file (see the module docstring), relative times resolved; an empty shop without one."""
    empty: Json = {"buyers": [], "orders": [], "products": [], "vouchers": []}
    if path is None:
        return empty
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {**empty, **resolve_times(raw, time.time() if now is None else now)}


def resolve_times(value: Any, now: float, key: str = "") -> Any:
    """A copy with every "*_time" (or "time") written as "now-6d" turned into unix seconds."""
    if isinstance(value, dict):
        return {k: resolve_times(v, now, k) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_times(v, now, key) for v in value]
    if _is_time(key) and isinstance(value, str):
        m = _RELATIVE.match(value.strip())
        if not m:
            raise ValueError(f"{key}: {value!r} is neither unix seconds nor now[+-]N[dhm]")
        return int(now + (float(m.group(1)) * _UNIT_S[m.group(2)] if m.group(1) else 0))
    return value


def _is_time(key: str) -> bool:
    return key == "time" or key.endswith("_time")


def _wrong_types(value: Any, key: str = "") -> Any:
    """The same body with its times as ISO text and its counts as words: every key there, every type wrong."""
    if isinstance(value, dict):
        return {k: _wrong_types(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrong_types(v, key) for v in value]
    if _is_time(key) and isinstance(value, (int, float)):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    if key in ("stock", "total", "total_count", "quantity"):
        return f"{value} left"
    return value


def _cursor(offset: int) -> str:
    return f"c-{offset}"


def _offset(cursor: str) -> Optional[int]:
    m = re.fullmatch(r"c-(\d+)", cursor)
    return int(m.group(1)) if m else None


class OrderApi:
    """The shop's data and the order API's misbehaviour and counts."""

    def __init__(self, data: Json, token: str, shop_id: str) -> None:
        self.loaded, self.token, self.shop_id = copy.deepcopy(data), token, shop_id
        self.reset()

    def reset(self) -> None:
        self.data: Json = copy.deepcopy(self.loaded)
        self.control: Json = {}
        self.stats: Counter = Counter()
        self._calls_in_window = 0  # for rate_limit.every
        self.orders: Dict[str, Json] = {o["order_sn"]: o for o in self.data["orders"]}
        self.buyers: Dict[str, Json] = {b["buyer_user_id"]: b for b in self.data["buyers"]}
        self.products: Dict[Any, Json] = {p["item_id"]: p for p in self.data["products"]}

    # --- what every call goes through -----------------------------------------------------------------------

    async def gate(self, request: Request, shop: str, endpoint: str) -> Optional[response.HTTPResponse]:
        """A refusal (auth, rate limit, failure on purpose), or None to go on; counts the call."""
        self.stats["calls"] += 1
        self.stats[f"{request.method} {endpoint}"] += 1
        if request.headers.get("authorization") != f"Bearer {self.token}":
            self.stats["unauthorized"] += 1
            return response.json({"error": "invalid_access_token"}, status=401)
        if shop != self.shop_id:
            return response.json({"error": "shop_not_authorized"}, status=403)
        ctl = self.control
        limit = ctl.get("rate_limit") or {}
        if limit and self._rate_limited(limit):
            self.stats["rate_limited"] += 1
            retry_after = str(limit.get("retry_after", 1))
            return response.json({"error": "too_many_requests"}, status=429, headers={"Retry-After": retry_after})
        if ctl.get("delay_s"):
            await asyncio.sleep(float(ctl["delay_s"]))
        if ctl.get("fail_status") and ctl.get("fail_times", 1) > 0:  # no fail_times: refuse until told otherwise
            if "fail_times" in ctl:
                ctl["fail_times"] -= 1
            self.stats["refused"] += 1
            return response.json({"error": "refused on purpose"}, status=int(ctl["fail_status"]))
        return None

    def _rate_limited(self, limit: Json) -> bool:
        if "times" in limit:  # the next N calls
            if limit["times"] <= 0:
                return False
            limit["times"] -= 1
            return True
        every = int(limit.get("every") or 0)
        self._calls_in_window += 1
        return every > 0 and self._calls_in_window % every == 0

    def answer(self, body: Json, status: int = 200) -> response.HTTPResponse:
        malformed = self.control.get("malformed")
        if malformed == "not_json":
            return response.html("<html><body>502 upstream hiccup</body></html>", status=200)
        if malformed == "types":
            return response.json(_wrong_types(body), status=status)
        if malformed:
            return response.json(MALFORMED, status=status if status < 300 else 200)
        return response.json(body, status=status)

    # --- the shop's data as the API shows it ----------------------------------------------------------------

    def render_order(self, stored: Json) -> Json:
        """The stored order with its buyer and items filled in, and every documented key present."""
        o = copy.deepcopy(stored)
        if "buyer" not in o:
            buyer = self.buyers.get(o.get("buyer_user_id"), {"buyer_user_id": o.get("buyer_user_id")})
            o["buyer"] = copy.deepcopy(buyer)
        o["item_list"] = [self._render_item(i) for i in o.get("item_list", [])]
        for key in ("pay_time", "ship_time", "complete_time", "package", "return"):
            o.setdefault(key, None)
        o.setdefault("update_time", o.get("create_time"))
        o.setdefault("payment", {"method": None, "failures": []})
        return o

    def _render_item(self, item: Json) -> Json:
        product = self.products.get(item.get("item_id"), {})
        filled = {k: product[k] for k in ("item_sku", "item_name", "item_name_zh", "category") if k in product}
        return {**filled, "price": product.get("price"), **item}

    def matching_orders(self, args: Any) -> List[Json]:
        email = (args.get("buyer_email") or "").strip().lower()
        buyer_id = args.get("buyer_user_id") or ""
        found = []
        for stored in self.orders.values():
            o = self.render_order(stored)
            if email and (o["buyer"].get("email") or "").lower() != email:
                continue
            if buyer_id and o["buyer"].get("buyer_user_id") != buyer_id:
                continue
            found.append(o)
        return sorted(found, key=lambda o: (o.get("create_time") or 0, o["order_sn"]), reverse=True)

    def voucher(self, v: Json) -> Json:
        now = time.time()
        state = "upcoming" if now < v["start_time"] else "expired" if now > v["end_time"] else "ongoing"
        return {**v, "status": state}

    def cancel(self, order_sn: str, reason: str) -> Tuple[Json, int]:
        o = self.orders.get(order_sn)
        if o is None:
            return {"error": "not_found"}, 404
        if o["order_status"] not in CANCELLABLE:
            return {"error": "cannot_cancel", "order_status": o["order_status"]}, 409
        was = o["order_status"]
        o.update(order_status="CANCELLED", cancel_reason=reason, update_time=int(time.time()))
        return {"order_sn": order_sn, "previous_status": was, "order_status": "CANCELLED"}, 200

    def open_return(self, order_sn: str, kind: Any, reason: str) -> Tuple[Json, int]:
        o = self.orders.get(order_sn)
        if o is None:
            return {"error": "not_found"}, 404
        if kind not in ("RETURN", "EXCHANGE"):
            return {"error": "invalid_type"}, 400
        current = o.get("return") or {}
        if current.get("status") in OPEN_RETURN or o["order_status"] == "TO_RETURN":
            return {"error": "return_exists"}, 409
        if o["order_status"] in NOT_SHIPPED:
            return {"error": "cannot_return", "order_status": o["order_status"]}, 409
        now = int(time.time())
        o["return"] = {"return_sn": f"R{order_sn}", "status": "REQUESTED", "type": kind, "reason": reason,
                       "create_time": now, "refund_amount": None, "refund_time": None}  # fmt: skip
        o["update_time"] = now
        return {"return": o["return"]}, 201


def page_of(items: List[Json], args: Any) -> Tuple[Optional[Json], List[Json], Json]:
    """(error, the page, paging keys) for ?page_size=&cursor= over a list."""
    try:
        size = int(args.get("page_size") or DEFAULT_PAGE_SIZE)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        return {"error": "invalid_page_size"}, [], {}
    start = _offset(args.get("cursor") or "c-0")
    if start is None:
        return {"error": "invalid_cursor"}, [], {}
    more = start + size < len(items)
    return None, items[start : start + size], {"more": more, "next_cursor": _cursor(start + size) if more else ""}


def add_order_api(app: Sanic, data: Json, token: str, shop_id: str = "kefu-demo-shop") -> OrderApi:
    """Mount the order API and its test controls on the fake marketplace's app."""
    api = OrderApi(data, token, shop_id)
    Handler = Callable[..., Any]

    def route(method: str, endpoint: str, path: str) -> Callable[[Handler], Handler]:
        """Register a handler that runs only after the gate let the call through."""

        def register(handler: Handler) -> Handler:
            async def gated(request: Request, shop: str, **kw: str) -> response.HTTPResponse:
                refused = await api.gate(request, shop, endpoint)
                return refused or await handler(request, **kw)

            app.add_route(gated, f"{SHOP_PATH}{path}", methods=[method], name=f"order_api_{handler.__name__}")
            return handler

        return register

    @route("GET", "orders", "/orders")
    async def list_orders(request: Request) -> response.HTTPResponse:
        error, page, paging = page_of(api.matching_orders(request.args), request.args)
        return api.answer(error, 400) if error else api.answer({"orders": page, **paging})

    @route("GET", "orders/count", "/orders/count")
    async def count_orders(request: Request) -> response.HTTPResponse:
        return api.answer({"total": len(api.matching_orders(request.args))})

    @route("GET", "orders/<sn>", f"/orders/{ORDER_SN}")
    async def order_detail(_: Request, order_sn: str) -> response.HTTPResponse:
        o = api.orders.get(order_sn)
        return api.answer({"order": api.render_order(o)}) if o else api.answer({"error": "not_found"}, 404)

    @route("POST", "orders/<sn>/cancel", f"/orders/{ORDER_SN}/cancel")
    async def cancel_order(request: Request, order_sn: str) -> response.HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        return api.answer(*api.cancel(order_sn, str(body.get("reason") or "")))

    @route("POST", "orders/<sn>/returns", f"/orders/{ORDER_SN}/returns")
    async def request_return(request: Request, order_sn: str) -> response.HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        return api.answer(*api.open_return(order_sn, body.get("type"), str(body.get("reason") or "")))

    @route("GET", "products", "/products")
    async def list_products(request: Request) -> response.HTTPResponse:
        items = api.data["products"]
        error, page, paging = page_of(items, request.args)
        return api.answer(error, 400) if error else api.answer({"items": page, "total_count": len(items), **paging})

    @route("GET", "buyers/<id>", "/buyers/<buyer_user_id>")
    async def buyer(_: Request, buyer_user_id: str) -> response.HTTPResponse:
        b = api.buyers.get(buyer_user_id)
        return api.answer({"buyer": b}) if b else api.answer({"error": "not_found"}, 404)

    @route("GET", "vouchers", "/vouchers")
    async def list_vouchers(request: Request) -> response.HTTPResponse:
        code = (request.args.get("voucher_code") or "").strip().upper()
        vouchers = [api.voucher(v) for v in api.data["vouchers"] if not code or v["voucher_code"].upper() == code]
        error, page, paging = page_of(vouchers, request.args)
        return api.answer(error, 400) if error else api.answer({"vouchers": page, **paging})

    @app.post("/_orders_control", name="order_api_control")
    async def control(request: Request) -> response.HTTPResponse:
        api.control, api._calls_in_window = dict(request.json or {}), 0
        return response.json({"control": api.control})

    @app.get("/_orders_stats", name="order_api_stats")
    async def stats(_: Request) -> response.HTTPResponse:
        return response.json(dict(api.stats))

    @app.post("/_orders_reset", name="order_api_reset")
    async def reset(_: Request) -> response.HTTPResponse:
        api.reset()
        return response.json({"ok": True})

    return api
