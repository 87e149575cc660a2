"""The marketplace as a kefu shop: orders, catalog, buyers and vouchers over the marketplace's order API.

The marketplace channel (connectors/marketplace/) talks to buyers; this adapter reads the same shop's orders
with the same shop id and access token (``Authorization: Bearer <token>``). The API follows the common shape
of marketplace open platforms (Shopee Open Platform v2; Lazada and TikTok Shop are alike) as REST under
``/api/v1/shops/<shop_id>/`` (fake_platforms/marketplace_orders.py serves it for the demo and the tests):

    GET  orders/<order_sn>                         order.get_order_detail (+ logistics.get_tracking_number)
    GET  orders?page_size=1                        the latest order (newest first)
    GET  orders?buyer_email=..&page_size=..&cursor=..   order.get_order_list, paged by the body's next_cursor
    GET  orders/count                              {"total": n}
    POST orders/<order_sn>/cancel                  order.cancel_order: 200 {"previous_status"} | 409 cannot_cancel
    POST orders/<order_sn>/returns                 a return/exchange request: 201 | 409 return_exists
    GET  products?page_size=..&cursor=..           product.get_item_list + get_item_base_info (+ total_count)
    GET  buyers/<buyer_user_id>                    the buyer the channel knows by the same id
    GET  vouchers?voucher_code=..&cursor=..        voucher.get_voucher_list

Order numbers are the marketplace's order_sn ("240531ABC123"), as buyers see them. Order status, the first
rule that holds:

    a return with status REFUNDED                              -> refunded (refunded_at, refund_amount)
    a return REQUESTED/PROCESSING, or order_status TO_RETURN   -> return_requested (open_return "return"/"exchange")
    UNPAID -> unpaid; READY_TO_SHIP, PROCESSED -> paid; SHIPPED, TO_CONFIRM_RECEIVE -> shipped;
    COMPLETED -> delivered; IN_CANCEL, CANCELLED -> cancelled; any other status -> StoreUnavailable

Times are unix seconds (naive UTC here): create_time, pay_time, ship_time, complete_time (-> delivered_at).
The carrier state (``last_status``) maps the package's logistics_status: LOGISTICS_PICKUP_DONE/IN_TRANSIT ->
in_transit; OUT_FOR_DELIVERY -> out_for_delivery; DELIVERY_DONE -> delivered; DELIVERY_FAILED/PICKUP_FAILED/LOST/
INVALID -> exception; anything else (NOT_START, READY, REQUEST_CREATED: not picked up yet) -> None.

Payment failures (payment.failures, oldest first), by reason_code: INSUFFICIENT_FUNDS/INSUFFICIENT_BALANCE ->
insufficient_funds; DO_NOT_HONOR/CARD_DECLINED/ISSUER_DECLINED/SUSPECTED_FRAUD/RISK_REJECTED -> bank_declined;
AVS_MISMATCH/BILLING_ADDRESS_MISMATCH -> address_mismatch; CARD_EXPIRED/EXPIRED_CARD -> expired_card;
3DS_FAILED/AUTHENTICATION_FAILED/3DS_TIMEOUT -> 3ds_failed; anything else -> unknown.

An ordered item's model_name is "Colour,Size" ("Black,M"); a single value is a size when it looks like one
(XS..XXXL, F, a number) and a colour otherwise. Products: ``colours`` are the colour option's values lower-cased;
sizes come in the models' order; ``size_chart`` rows (height_cm, weight_kg, foot_cm) become SizeChart's
height/weight/foot_cm; a product without sizes is one size "F", one without colours keeps its stock under
"default". item_name_zh / description_zh give the Chinese name and material (else the English ones);
``description`` is the material line. Coupons: discount_type fix_amount -> "amount" (discount_amount),
percentage -> "percent" (percentage); the platform ends a voucher by moving its end_time, so every listed
voucher is ``active`` and its dates decide.

Writes: a 409 is StoreUnavailable to PlatformHttp, so after a failed write the order is read again to tell
"already open / can no longer be cancelled" (False / None) from an outage (StoreUnavailable).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Collection, Dict, List, Optional, Tuple
from urllib.parse import quote

from shop.platforms.http import PlatformHttp, malformed_is_unavailable
from shop.store import (
    NO_COLOUR,
    ONE_SIZE,
    CouponView,
    CustomerView,
    ItemView,
    OrderView,
    PlacedOrders,
    ProductView,
    SizeChart,
    StoreAuthError,
    StoreCounts,
    StoreUnavailable,
)

ORDER_STATES = {
    "UNPAID": "unpaid",
    "READY_TO_SHIP": "paid",
    "PROCESSED": "paid",
    "SHIPPED": "shipped",
    "TO_CONFIRM_RECEIVE": "shipped",
    "COMPLETED": "delivered",
    "IN_CANCEL": "cancelled",
    "CANCELLED": "cancelled",
    "TO_RETURN": "return_requested",
}
OPEN_RETURN = {"REQUESTED", "PROCESSING"}
CARRIER_STATES = {
    "LOGISTICS_PICKUP_DONE": "in_transit",
    "LOGISTICS_IN_TRANSIT": "in_transit",
    "LOGISTICS_OUT_FOR_DELIVERY": "out_for_delivery",
    "LOGISTICS_DELIVERY_DONE": "delivered",
    "LOGISTICS_DELIVERY_FAILED": "exception",
    "LOGISTICS_PICKUP_FAILED": "exception",
    "LOGISTICS_LOST": "exception",
    "LOGISTICS_INVALID": "exception",
}
FAILURE_REASONS = {
    "INSUFFICIENT_FUNDS": "insufficient_funds",
    "INSUFFICIENT_BALANCE": "insufficient_funds",
    "DO_NOT_HONOR": "bank_declined",
    "CARD_DECLINED": "bank_declined",
    "ISSUER_DECLINED": "bank_declined",
    "SUSPECTED_FRAUD": "bank_declined",
    "RISK_REJECTED": "bank_declined",
    "AVS_MISMATCH": "address_mismatch",
    "BILLING_ADDRESS_MISMATCH": "address_mismatch",
    "CARD_EXPIRED": "expired_card",
    "EXPIRED_CARD": "expired_card",
    "3DS_FAILED": "3ds_failed",
    "AUTHENTICATION_FAILED": "3ds_failed",
    "3DS_TIMEOUT": "3ds_failed",
}
COUPON_KINDS = {"fix_amount": ("amount", "discount_amount"), "percentage": ("percent", "percentage")}
CHART_KEYS = {"height_cm": "height", "weight_kg": "weight", "foot_cm": "foot_cm"}
MAX_PAGE_SIZE = 100  # the platform's limit per page
_ORDER_SN = re.compile(r"^[0-9A-Za-z]{6,32}$")
_SIZE = re.compile(r"^(X{0,3}S|M|X{0,3}L|F|ONE SIZE|\d{1,3}(\.\d)?)$", re.IGNORECASE)

Json = Dict[str, Any]
_guarded = malformed_is_unavailable("marketplace")


class MarketplaceStore:
    """ShopStore over one shop's marketplace order API."""

    def __init__(self, http: PlatformHttp, shop_id: str, *, page_size: int = MAX_PAGE_SIZE) -> None:
        self.http = http
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self._shop = f"/api/v1/shops/{quote(shop_id, safe='')}"

    @classmethod
    def connect(
        cls, base_url: str, shop_id: str, token: str, timeout_s: float = 2.0, max_wait_s: float = 2.0
    ) -> "MarketplaceStore":
        http = PlatformHttp(
            base_url, headers={"Authorization": f"Bearer {token}"}, timeout_s=timeout_s, max_wait_s=max_wait_s
        )
        return cls(http, shop_id)

    def close(self) -> None:
        self.http.close()

    # -- orders --------------------------------------------------------------------------------------------

    @_guarded
    def find_order(self, number: str) -> Optional[OrderView]:
        order = self._raw_order(number)
        return None if order is None else _order_view(order)

    @_guarded
    def latest_order(self) -> Optional[OrderView]:
        orders = _list(self.http.get_json(self._path("orders"), {"page_size": 1}), "orders")
        return _order_view(orders[0]) if orders else None

    @_guarded
    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        if limit <= 0 or not email.strip():
            return []
        params = {"buyer_email": email.strip(), "page_size": min(limit, self.page_size)}
        found: List[Json] = []
        for page in self.http.pages_by_cursor(self._path("orders"), params, "orders"):
            found.extend(_dict(o) for o in page)
            if len(found) >= limit:  # the list is newest first: the rest is older
                break
        return [_order_summary(o) for o in found[:limit]]

    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        """Unknown: the order API would page through every order of the window (100 a page)
        against its rate limit, so the reports show the conversion as unknown."""
        return None

    @_guarded
    def counts(self) -> StoreCounts:
        orders = _dict(self.http.get_json(self._path("orders/count")))
        products = _dict(self.http.get_json(self._path("products"), {"page_size": 1}))
        return StoreCounts(orders=_count(orders["total"]), products=_count(products["total_count"]))

    @_guarded
    def failed_payments(self, number: str) -> List[str]:
        order = self._raw_order(number)
        return [] if order is None else [reason for _, reason in _failures(order)]

    @_guarded
    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        """One call when it works; the platform says which state the order had."""
        sn = _order_sn(number)
        if sn is None:
            return None
        try:
            answer = self.http.send_json("POST", self._path(f"orders/{quote(sn)}/cancel"), {"reason": "buyer_request"})
        except StoreAuthError:
            raise
        except StoreUnavailable:
            # 409 cannot_cancel, or an outage: only a fresh look at the order tells them apart
            order = self._raw_order(sn)
            if order is None or order_status(order) not in ("unpaid", "paid"):
                return None
            raise
        if answer is None:  # no such order
            return None
        was = ORDER_STATES.get(str(_dict(answer)["previous_status"]))
        return was if was in ("unpaid", "paid") else None

    @_guarded
    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        """One call when it works; the platform refuses a second open request (409 return_exists)."""
        sn = _order_sn(number)
        if sn is None:
            raise StoreUnavailable(f"marketplace order {number!r} is not an order number")
        body = {"type": "EXCHANGE" if kind == "exchange" else "RETURN", "reason": reason}
        try:
            answer = self.http.send_json("POST", self._path(f"orders/{quote(sn)}/returns"), body)
        except StoreAuthError:
            raise
        except StoreUnavailable:
            order = self._raw_order(sn)
            if order is not None and _open_return(order) is not None:
                return False  # one is open (ours, if the answer was lost on the way back)
            raise
        if answer is None:  # the caller found the order a moment ago: the platform is not answering straight
            raise StoreUnavailable(f"marketplace order {sn} vanished")
        return True

    # -- catalog, buyers, vouchers -------------------------------------------------------------------------

    @_guarded
    def products(self) -> List[ProductView]:
        pages = self.http.pages_by_cursor(self._path("products"), {"page_size": self.page_size}, "items")
        return [_product_view(_dict(item)) for page in pages for item in page]

    @_guarded
    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        if not channel_id.strip():
            return None
        data = self.http.get_json(self._path(f"buyers/{quote(channel_id.strip(), safe='')}"))
        return None if data is None else _customer_view(_dict(_dict(data)["buyer"]))

    @_guarded
    def valid_coupons(self, now: datetime) -> List[CouponView]:
        coupons = [_coupon_view(v) for v in self._vouchers({})]
        return sorted((c for c in coupons if c.active and c.starts_at <= now <= c.ends_at), key=lambda c: c.min_spend)

    @_guarded
    def coupon(self, code: str) -> Optional[CouponView]:
        code = code.strip().upper()
        if not code:
            return None
        matches = [v for v in self._vouchers({"voucher_code": code}) if str(v["voucher_code"]).upper() == code]
        return _coupon_view(matches[0]) if matches else None

    # -- helpers -------------------------------------------------------------------------------------------

    def _path(self, rest: str) -> str:
        return f"{self._shop}/{rest}"

    def _raw_order(self, number: str) -> Optional[Json]:
        sn = _order_sn(number)
        if sn is None:  # not an order number at all: nothing to ask the platform
            return None
        data = self.http.get_json(self._path(f"orders/{quote(sn)}"))
        return None if data is None else _dict(_dict(data)["order"])

    def _vouchers(self, params: Json) -> List[Json]:
        pages = self.http.pages_by_cursor(self._path("vouchers"), {**params, "page_size": MAX_PAGE_SIZE}, "vouchers")
        return [_dict(v) for page in pages for v in page]


# -- payload -> views --------------------------------------------------------------------------------------


def order_status(order: Json) -> str:
    """kefu's status of a marketplace order (the table in the module docstring)."""
    ret = order.get("return")
    if ret is not None and _dict(ret)["status"] == "REFUNDED":
        return "refunded"
    if _open_return(order) is not None:
        return "return_requested"
    status = order["order_status"]
    if status not in ORDER_STATES:
        raise ValueError(f"unknown order_status {status!r}")
    return ORDER_STATES[status]


def _open_return(order: Json) -> Optional[str]:
    """The kind of the order's unfinished return request, if any."""
    ret = order.get("return")
    if ret is not None and _dict(ret)["status"] in OPEN_RETURN:
        return str(ret["type"]).lower()
    return "return" if order["order_status"] == "TO_RETURN" else None


def _order_view(o: Json) -> OrderView:
    buyer = _dict(o.get("buyer") or {})
    package = _dict(o.get("package") or {})
    ret = _dict(o.get("return") or {})
    refunded = ret.get("status") == "REFUNDED"
    failures = _failures(o)
    return OrderView(
        number=_str(o["order_sn"]),
        status=order_status(o),
        region=_region(o.get("recipient_address")),
        total=_money(o["total_amount"]),
        created_at=_required_time(o["create_time"]),
        paid_at=_time(o.get("pay_time")),
        shipped_at=_time(o.get("ship_time")),
        delivered_at=_time(o.get("complete_time")),
        customer_name=_str(buyer.get("name") or buyer.get("username")),
        customer_email=_str(buyer.get("email")),
        customer_phone=_str(buyer.get("phone")),
        customer_channel_id=_str(buyer.get("buyer_user_id")) or None,
        customer_vip=bool(buyer.get("vip")),
        items=[_item_view(_dict(i)) for i in _list(o, "item_list")],
        carrier=package.get("shipping_carrier") or None,
        tracking_no=package.get("tracking_number") or None,
        last_status=CARRIER_STATES.get(package.get("logistics_status") or ""),
        last_location=package.get("last_location") or None,
        last_event_at=_time(package.get("last_update_time")),
        eta=_time(package.get("estimated_delivery_time")),
        last_failure_reason=failures[-1][1] if failures else None,
        open_return=_open_return(o),
        refunded_at=_time(ret.get("refund_time")) if refunded else None,
        refund_amount=_money(ret["refund_amount"]) if refunded and ret.get("refund_amount") is not None else None,
    )


def _order_summary(o: Json) -> Dict[str, object]:
    package = _dict(o.get("package") or {})
    return {
        "number": _str(o["order_sn"]),
        "status": order_status(o),
        "total": _money(o["total_amount"]),
        "created_at": _required_time(o["create_time"]).isoformat(),
        "tracking_no": package.get("tracking_number") or None,
    }


def _item_view(i: Json) -> ItemView:
    colour, size = _model(_str(i.get("model_name")))
    name = _str(i["item_name"])
    return ItemView(name, _str(i.get("item_name_zh")) or name, _str(i.get("category")), colour, size,
                    int(i["quantity"]))  # fmt: skip


def _model(model_name: str) -> Tuple[str, str]:
    """(colour key, size) of an ordered model without the product at hand: "Black,M", "Black", "M"."""
    parts = [p.strip() for p in model_name.split(",") if p.strip()]
    if len(parts) >= 2:
        return parts[0].lower(), parts[-1]
    if not parts:
        return "", ONE_SIZE
    return ("", parts[0]) if _SIZE.match(parts[0]) else (parts[0].lower(), ONE_SIZE)


def _failures(o: Json) -> List[Tuple[datetime, str]]:
    payment = _dict(o.get("payment") or {})
    found = [(_required_time(f["time"]), FAILURE_REASONS.get(_str(f["reason_code"]).upper(), "unknown"))
             for f in map(_dict, payment.get("failures") or [])]  # fmt: skip
    return sorted(found, key=lambda f: f[0])


def _product_view(p: Json) -> ProductView:
    colours = [_str(c).strip().lower() for c in p.get("colours") or []]
    stock: Dict[str, Dict[str, int]] = {}
    for m in map(_dict, p.get("models") or []):
        colour, size = _product_model(_str(m["model_name"]), bool(colours))
        stock.setdefault(colour, {})[size] = _units(m["stock"])
    if not stock:  # an item without variations keeps its stock on the item
        stock = {NO_COLOUR: {ONE_SIZE: _units(p.get("stock") or 0)}}
    sizes = list(dict.fromkeys(size for by_size in stock.values() for size in by_size))
    chart = _size_chart(p.get("size_chart"))
    name = _str(p["item_name"])
    material = _str(p.get("description"))
    return ProductView(
        sku=_str(p.get("item_sku") or p["item_id"]),
        name_en=name,
        name_zh=_str(p.get("item_name_zh")) or name,
        category=_str(p.get("category")),
        price=_money(p["price"]),
        material_en=material,
        material_zh=_str(p.get("description_zh")) or material,
        colours=colours,
        size_chart={size: chart.get(size, {}) for size in sizes},
        stock=stock,
        aliases=[_str(a) for a in p.get("aliases") or [] if _str(a).strip()],
    )


def _product_model(model_name: str, has_colours: bool) -> Tuple[str, str]:
    """(colour key, size) of one of a product's models, knowing whether the product has a colour option."""
    parts = [part.strip() for part in model_name.split(",")]
    if not has_colours:
        return NO_COLOUR, parts[-1] or ONE_SIZE
    return parts[0].lower(), (parts[1] if len(parts) > 1 and parts[1] else ONE_SIZE)


def _size_chart(rows: Any) -> SizeChart:
    chart: SizeChart = {}
    for row in map(_dict, rows or []):
        chart[_str(row["size"])] = {
            ours: [float(x) for x in _list(row, theirs)] for theirs, ours in CHART_KEYS.items() if theirs in row
        }
    return chart


def _customer_view(b: Json) -> CustomerView:
    return CustomerView(
        name=_str(b.get("name") or b.get("username")),
        email=_str(b.get("email")),
        phone=_str(b.get("phone")),
        vip=bool(b.get("vip")),
        channel_id=_str(b["buyer_user_id"]),
    )


def _coupon_view(v: Json) -> CouponView:
    kind, value_key = COUPON_KINDS[_str(v["discount_type"])]
    value = _money(v[value_key])
    if value <= 0:
        raise ValueError(f"voucher {v.get('voucher_code')!r}: a discount of {value}")
    return CouponView(
        code=_str(v["voucher_code"]).upper(),
        kind=kind,
        value=value,
        min_spend=_money(v.get("min_basket_price") or 0),
        starts_at=_required_time(v["start_time"]),
        ends_at=_required_time(v["end_time"]),
        active=True,
    )


# -- small checks: a wrong type is a malformed payload (ValueError/TypeError -> StoreUnavailable) ------------


def _order_sn(number: str) -> Optional[str]:
    sn = number.strip().upper()
    return sn if _ORDER_SN.match(sn) else None


def _dict(value: Any) -> Json:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _list(data: Any, key: str) -> List[Any]:
    value = _dict(data)[key]
    if not isinstance(value, list):
        raise TypeError(f"{key}: expected a list, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return str(value)


def _money(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"expected an amount, got {type(value).__name__}")
    return float(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"expected a count, got {value!r}")
    return value


def _units(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a stock count, got {value!r}")
    return max(0, value)


def _time(value: Any) -> Optional[datetime]:
    """Unix seconds as naive UTC; None (or 0, which some platforms send for "not yet") is None."""
    return None if value in (None, 0) else _required_time(value)


def _required_time(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected unix seconds, got {value!r}")
    return datetime.utcfromtimestamp(value)


def _region(address: Any) -> str:
    if address is None:
        return ""
    return _str(_dict(address).get("region")).strip().upper()
