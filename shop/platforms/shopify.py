"""Shopify as a kefu shop: orders, catalog, customers and discount codes over the Admin REST API (2024-01).

Endpoints used, all under ``/admin/api/{version}/`` with the header ``X-Shopify-Access-Token``
(https://shopify.dev/docs/api/admin-rest/2024-01/resources/...):

    GET  orders.json?name=%231001&status=any            Order: "Retrieve a list of orders" (find one by name)
    GET  orders.json?customer_id=..&status=any&limit=..&order=created_at desc     a customer's latest orders
    GET  orders.json?status=any&limit=1&order=created_at desc                     the latest order
    GET  orders/count.json?status=any                   Order: "Retrieve an order count"
    POST orders/{id}/cancel.json                        Order: "Cancel an order"
    PUT  orders/{id}.json                               Order: "Update an order" (tags + note, see returns below)
    GET  orders/{id}/transactions.json                  Transaction: payment attempts and their error_code
    GET  products.json?limit=250                        Product: the catalog, cursor-paged by the Link header
    GET  products/{id}.json?fields=..                   Product: options and type of an ordered item
    GET  products/count.json                            Product: "Retrieve a count of products"
    GET  products/{id}/metafields.json?namespace=kefu   Metafield: bilingual names, materials, aliases, size chart
    GET  customers/{id}.json                            Customer (a buyer's channel id is their customer id)
    GET  customers/search.json?query=email:..           Customer: "Search for customers"
    GET  price_rules.json                               PriceRule: amount, window and minimum subtotal
    GET  price_rules/{id}/discount_codes.json           DiscountCode: the codes buyers type

Order status, the first rule that holds:

    cancelled_at set, or financial_status voided             -> cancelled
    financial_status refunded                                -> refunded
    tag kefu-return-requested / kefu-exchange-requested      -> return_requested (open_return "return"/"exchange")
    every live fulfillment has shipment_status delivered     -> delivered (delivered_at: that fulfillment's updated_at)
    a live fulfillment, or fulfillment_status fulfilled/partial -> shipped
    financial_status paid / partially_refunded               -> paid
    pending / authorized / partially_paid (anything else)    -> unpaid

A fulfillment is live unless its status is cancelled/error/failure. The carrier state (``last_status``) maps
shipment_status: confirmed/label_printed/label_purchased -> picked_up, in_transit -> in_transit,
out_for_delivery/ready_for_pickup -> out_for_delivery, delivered -> delivered, failure/attempted_delivery ->
exception. Shopify has no return request in REST, so kefu records one as an order tag (plus a line in the
order note) that staff see in the admin; a refund issued later turns the order "refunded".

Payment failures (transactions of kind sale/authorization/capture with status failure/error), by error_code:
expired_card -> expired_card; card_declined/call_issuer/pick_up_card -> bank_declined (card_declined whose
message says "insufficient funds" -> insufficient_funds); incorrect_zip/incorrect_address -> address_mismatch;
authentication_failed -> 3ds_failed; anything else -> unknown.

Products: colour and size are the options named Color/Colour/颜色 and Size/尺码/尺寸/规格 (an ordered item of a
product without colours has colour "", without sizes size "F"); the "kefu" metafields
name_zh, material_zh, material_en (else the description without tags), aliases (json list) and size_chart (json,
shop/store.py SizeChart) hold what Shopify has no field for. Reading the catalog costs one call per 250
products plus one metafield call per product; the cache wrapper around every adapter keeps it rare.
A price rule with no end date gets ``ends_at`` = ``NO_END``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Collection, Dict, List, Optional, Tuple

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
    StoreCounts,
    StoreUnavailable,
)

RETURN_TAGS = {"kefu-return-requested": "return", "kefu-exchange-requested": "exchange"}
METAFIELD_NAMESPACE = "kefu"
NO_END = datetime(9999, 12, 31)  # a price rule without ends_at never expires
COLOUR_OPTIONS = {"color", "colour", "颜色"}
SIZE_OPTIONS = {"size", "尺码", "尺寸", "规格"}
DEAD_FULFILLMENTS = {"cancelled", "error", "failure"}
PAYMENT_KINDS = {"sale", "authorization", "capture"}

CARRIER_STATES = {
    "confirmed": "picked_up",
    "label_printed": "picked_up",
    "label_purchased": "picked_up",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "ready_for_pickup": "out_for_delivery",
    "delivered": "delivered",
    "failure": "exception",
    "attempted_delivery": "exception",
}
FAILURE_REASONS = {
    "expired_card": "expired_card",
    "card_declined": "bank_declined",
    "call_issuer": "bank_declined",
    "pick_up_card": "bank_declined",
    "incorrect_zip": "address_mismatch",
    "incorrect_address": "address_mismatch",
    "authentication_failed": "3ds_failed",
}
_TAG_RE = re.compile(r"<[^>]+>")
_CJK = re.compile(r"[\u3400-\u9fff]")

_guarded = malformed_is_unavailable("Shopify")


class ShopifyStore:
    """ShopStore over one Shopify shop's Admin REST API."""

    def __init__(self, http: PlatformHttp, api_version: str = "2024-01") -> None:
        self.http = http
        self._api = f"/admin/api/{api_version}"

    @classmethod
    def connect(
        cls, base_url: str, token: str, api_version: str = "2024-01", timeout_s: float = 2.0, max_wait_s: float = 2.0
    ) -> "ShopifyStore":
        http = PlatformHttp(
            base_url, headers={"X-Shopify-Access-Token": token}, timeout_s=timeout_s, max_wait_s=max_wait_s
        )
        return cls(http, api_version)

    def close(self) -> None:
        self.http.close()

    # -- orders --------------------------------------------------------------------------------------------

    @_guarded
    def find_order(self, number: str) -> Optional[OrderView]:
        order = self._raw_order(number)
        return None if order is None else self._order_view(order)

    @_guarded
    def latest_order(self) -> Optional[OrderView]:
        data = self._get("orders.json", {"status": "any", "limit": 1, "order": "created_at desc"})
        orders = _dicts(data, "orders")
        return self._order_view(orders[0]) if orders else None

    @_guarded
    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        customer = self._customer_by_email(email)
        if customer is None:
            return []
        params = {"customer_id": customer["id"], "status": "any", "limit": max(1, min(limit, 250)),
                  "order": "created_at desc"}  # fmt: skip
        orders = sorted(_dicts(self._get("orders.json", params), "orders"), key=_created, reverse=True)
        return [_order_summary(o) for o in orders[:limit]]

    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        """Unknown: the Admin API would page through every order of the window (250 a page)
        against its rate limit, so the reports show the conversion as unknown."""
        return None

    @_guarded
    def counts(self) -> StoreCounts:
        orders = _dict(self._get("orders/count.json", {"status": "any"}))
        products = _dict(self._get("products/count.json"))
        return StoreCounts(orders=int(orders["count"]), products=int(products["count"]))

    @_guarded
    def failed_payments(self, number: str) -> List[str]:
        order = self._raw_order(number)
        return [] if order is None else [_failure_reason(t) for t in self._failed_transactions(order["id"])]

    @_guarded
    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        order = self._raw_order(number)
        if order is None:
            return None
        was = order_status(order)
        if was not in ("unpaid", "paid"):
            return None
        answer = self.http.send_json("POST", self._path(f"orders/{order['id']}/cancel.json"), {"reason": "customer"})
        return None if answer is None else was

    @_guarded
    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        order = self._raw_order(number)
        if order is None:  # the caller found the order a moment ago: the platform is not answering straight
            raise StoreUnavailable(f"Shopify order {number} vanished")
        tags = _tags(order.get("tags"))
        if any(t in RETURN_TAGS for t in tags):
            return False
        tag = "kefu-exchange-requested" if kind == "exchange" else "kefu-return-requested"
        note = "\n".join(x for x in (order.get("note") or "", f"[kefu {kind}] {reason}".strip()) if x)
        body = {"order": {"id": order["id"], "tags": ", ".join([*tags, tag]), "note": note}}
        if self.http.send_json("PUT", self._path(f"orders/{order['id']}.json"), body) is None:
            raise StoreUnavailable(f"Shopify order {number} vanished")
        return True

    # -- catalog, customers, coupons -----------------------------------------------------------------------

    @_guarded
    def products(self) -> List[ProductView]:
        views = []
        for page in self.http.pages_by_link(self._path("products.json"), {"limit": 250}, "products"):
            for product in _list(page):
                views.append(_product_view(product, self._metafields(product["id"])))
        return views

    @_guarded
    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        if not channel_id.isdigit():  # not a Shopify customer id (e.g. a marketplace buyer)
            return None
        data = self._get(f"customers/{channel_id}.json")
        return None if data is None else _customer_view(_dict(data["customer"]))

    @_guarded
    def valid_coupons(self, now: datetime) -> List[CouponView]:
        coupons = [c for rule in self._price_rules() if _in_window(rule, now) for c in self._coupons(rule)]
        return sorted(coupons, key=lambda c: c.min_spend)

    @_guarded
    def coupon(self, code: str) -> Optional[CouponView]:
        # discount_codes/lookup.json answers with a redirect, which the HTTP client does not follow
        wanted = code.strip().upper()
        for rule in self._price_rules():
            for c in self._coupons(rule):
                if c.code.upper() == wanted:
                    return c
        return None

    # -- calls -----------------------------------------------------------------------------------------------

    def _path(self, resource: str) -> str:
        return f"{self._api}/{resource}"

    def _get(self, resource: str, params: Optional[Dict[str, Any]] = None) -> Optional[Any]:
        return self.http.get_json(self._path(resource), params)

    def _raw_order(self, number: str) -> Optional[Dict[str, Any]]:
        orders = _dicts(self._get("orders.json", {"name": number, "status": "any"}), "orders")
        return next((o for o in orders if o["name"] == number), None)  # the filter is not guaranteed exact

    def _failed_transactions(self, order_id: int) -> List[Dict[str, Any]]:
        txs = _dicts(self._get(f"orders/{order_id}/transactions.json"), "transactions")
        failed = [t for t in txs if t.get("status") in ("failure", "error") and t.get("kind") in PAYMENT_KINDS]
        return sorted(failed, key=_created)

    def _metafields(self, product_id: int) -> Dict[str, Any]:
        data = self._get(f"products/{product_id}/metafields.json", {"namespace": METAFIELD_NAMESPACE})
        found = _dicts(data, "metafields")
        return {m["key"]: _metafield_value(m) for m in found if m.get("namespace") == METAFIELD_NAMESPACE}

    def _product_info(self, product_id: Optional[int], known: Dict[int, Tuple]) -> Tuple:
        """(product, metafields) of an ordered item, read once per call; ({}, {}) for a deleted product."""
        if not product_id:
            return {}, {}
        if product_id not in known:
            data = self._get(f"products/{product_id}.json", {"fields": "id,title,product_type,options,variants"})
            product = _dict(data["product"]) if data is not None else {}
            known[product_id] = (product, self._metafields(product_id) if product else {})
        return known[product_id]

    def _customer_by_email(self, email: str) -> Optional[Dict[str, Any]]:
        wanted = email.strip().lower()
        if not wanted:
            return None
        found = _dicts(self._get("customers/search.json", {"query": f"email:{wanted}"}), "customers")
        return next((c for c in found if (c["email"] or "").lower() == wanted), None)  # email is null, never absent

    def _price_rules(self) -> List[Dict[str, Any]]:
        pages = self.http.pages_by_link(self._path("price_rules.json"), {"limit": 250}, "price_rules")
        return [rule for page in pages for rule in _list(page)]

    def _coupons(self, rule: Dict[str, Any]) -> List[CouponView]:
        if rule.get("target_type", "line_item") != "line_item":  # free shipping is not a coupon we describe
            return []
        codes = _dicts(self._get(f"price_rules/{rule['id']}/discount_codes.json"), "discount_codes")
        return [_coupon_view(rule, c) for c in codes]

    def _order_view(self, order: Dict[str, Any]) -> OrderView:
        status = order_status(order)
        customer = _dict(order.get("customer") or {})
        ship = _latest(_live_fulfillments(order))
        refunds = _dicts(order, "refunds") if order.get("refunds") else []
        known: Dict[int, Tuple] = {}
        # the failure reason matters only while the buyer still has to pay; it costs a call
        failed = self._failed_transactions(order["id"]) if status == "unpaid" else []
        return OrderView(
            number=order["name"],
            status=status,
            region=str(_dict(order.get("shipping_address") or {}).get("country_code") or "").upper(),
            total=float(order["total_price"]),
            created_at=_utc(order["created_at"]),
            paid_at=_utc(order.get("processed_at")) if order.get("financial_status") in _PAID else None,
            shipped_at=_utc(ship["created_at"]) if ship else None,
            delivered_at=_delivered_at(order),
            customer_name=_person_name(customer) or _person_name(_dict(order.get("shipping_address") or {})),
            customer_email=order.get("email") or customer.get("email") or "",
            customer_phone=order.get("phone") or customer.get("phone") or "",
            customer_channel_id=str(int(customer["id"])) if customer.get("id") else None,
            customer_vip="vip" in {t.lower() for t in _tags(customer.get("tags"))},
            items=[
                _item_view(li, *self._product_info(li.get("product_id"), known)) for li in _dicts(order, "line_items")
            ],
            carrier=(ship.get("tracking_company") or None) if ship else None,
            tracking_no=_tracking_no(ship) if ship else None,
            last_status=CARRIER_STATES.get(ship.get("shipment_status") or "") if ship else None,
            last_event_at=_utc(ship.get("updated_at")) if ship else None,
            last_failure_reason=_failure_reason(failed[-1]) if failed else None,
            open_return=_open_return(order) if status == "return_requested" else None,
            refunded_at=max(_utc(r["created_at"]) for r in refunds) if refunds else None,
            refund_amount=_refund_amount(refunds) if refunds else None,
        )


_PAID = {"paid", "partially_refunded", "refunded"}


# -- mapping helpers ----------------------------------------------------------------------------------------


def order_status(order: Dict[str, Any]) -> str:
    """Our order state for a Shopify order (the table in the module docstring)."""
    financial = order.get("financial_status")
    if order.get("cancelled_at") or financial == "voided":
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if _open_return(order):
        return "return_requested"
    if _delivered_at(order):
        return "delivered"
    if _live_fulfillments(order) or order.get("fulfillment_status") in ("fulfilled", "partial"):
        return "shipped"
    if financial in ("paid", "partially_refunded"):
        return "paid"
    return "unpaid"


def _open_return(order: Dict[str, Any]) -> Optional[str]:
    return next((RETURN_TAGS[t] for t in _tags(order.get("tags")) if t in RETURN_TAGS), None)


def _live_fulfillments(order: Dict[str, Any]) -> List[Dict[str, Any]]:
    found = _dicts(order, "fulfillments") if order.get("fulfillments") else []
    return [f for f in found if f.get("status") not in DEAD_FULFILLMENTS]


def _delivered_at(order: Dict[str, Any]) -> Optional[datetime]:
    """When the last parcel arrived, if every parcel of a wholly fulfilled order has."""
    live = _live_fulfillments(order)
    if not live or order.get("fulfillment_status") == "partial":
        return None
    if any(f.get("shipment_status") != "delivered" for f in live):
        return None
    return max(_utc(f.get("updated_at") or f["created_at"]) for f in live)


def _latest(fulfillments: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    return max(fulfillments, key=_created) if fulfillments else None


def _tracking_no(ship: Dict[str, Any]) -> Optional[str]:
    numbers = ship.get("tracking_numbers") or []
    return ship.get("tracking_number") or (str(numbers[0]) if numbers else None)


def _refund_amount(refunds: List[Dict[str, Any]]) -> float:
    txs = [t for r in refunds for t in _dicts(r, "transactions") if t.get("status", "success") == "success"]
    return round(sum(float(t["amount"]) for t in txs), 2)


def _failure_reason(tx: Dict[str, Any]) -> str:
    code, message = tx.get("error_code") or "", str(tx.get("message") or "").lower()
    if code == "card_declined" and "insufficient funds" in message:
        return "insufficient_funds"
    return FAILURE_REASONS.get(code, "unknown")


def _order_summary(order: Dict[str, Any]) -> Dict[str, object]:
    ship = _latest(_live_fulfillments(order))
    return {
        "number": order["name"],
        "status": order_status(order),
        "total": float(order["total_price"]),
        "created_at": _utc(order["created_at"]).isoformat(),
        "tracking_no": _tracking_no(ship) if ship else None,
    }


def _options(product: Dict[str, Any]) -> Tuple[Optional[int], Optional[int], List[Dict[str, Any]]]:
    """Positions (0-based, as in variant option1..3) of the colour and size options, and the options."""
    options = sorted(_dicts(product, "options") if product.get("options") else [], key=lambda o: o.get("position", 0))
    names = [str(o.get("name", "")).strip().lower() for o in options]
    colour = next((i for i, n in enumerate(names) if n in COLOUR_OPTIONS), None)
    size = next((i for i, n in enumerate(names) if n in SIZE_OPTIONS), None)
    return colour, size, options


def _variant_values(variant: Dict[str, Any]) -> List[Optional[str]]:
    return [variant.get(f"option{i}") for i in (1, 2, 3)]


def _item_view(item: Dict[str, Any], product: Dict[str, Any], meta: Dict[str, Any]) -> ItemView:
    colour_at, size_at, _ = _options(product)
    variants = _dicts(product, "variants") if product.get("variants") else []
    variant = next((v for v in variants if v.get("id") and v.get("id") == item.get("variant_id")), None)
    if variant is not None:
        values = _variant_values(variant)
    else:  # the variant is gone: its title still reads "Purple clay / 150ml" in option order
        values = [p.strip() for p in str(item.get("variant_title") or "").split(" / ")] if product else []
    colour = values[colour_at] if colour_at is not None and colour_at < len(values) else None
    size = values[size_at] if size_at is not None and size_at < len(values) else None
    title = str(item["title"])
    return ItemView(
        product_en=title,
        product_zh=_text(meta.get("name_zh")) or title,
        category=str(product.get("product_type") or "").strip().lower(),
        colour=(colour or "").lower(),
        size=size or ONE_SIZE,
        quantity=int(item["quantity"]),
    )


def _product_view(product: Dict[str, Any], meta: Dict[str, Any]) -> ProductView:
    colour_at, size_at, options = _options(product)
    variants = _dicts(product, "variants") if product.get("variants") else []
    colours = [str(v).lower() for v in options[colour_at].get("values", [])] if colour_at is not None else []
    sizes = [str(v) for v in options[size_at].get("values", [])] if size_at is not None else []
    stock: Dict[str, Dict[str, int]] = {}
    for v in variants:
        values = _variant_values(v)
        colour = str(values[colour_at]).lower() if colour_at is not None and values[colour_at] else NO_COLOUR
        size = str(values[size_at]) if size_at is not None and values[size_at] else ONE_SIZE
        stock.setdefault(colour, {})[size] = max(0, int(v.get("inventory_quantity") or 0))
    title = str(product["title"])
    material_en = _text(meta.get("material_en")) or _plain(product.get("body_html"))
    prices = [float(v["price"]) for v in variants if v.get("price") is not None]
    return ProductView(
        sku=(str(variants[0].get("sku") or "") if variants else "") or str(product["id"]),
        name_en=title,
        name_zh=_text(meta.get("name_zh")) or title,
        category=str(product.get("product_type") or "").strip().lower(),
        price=min(prices) if prices else 0.0,
        material_en=material_en,
        material_zh=_text(meta.get("material_zh")) or material_en,
        colours=colours,
        size_chart=_size_chart(sizes, meta.get("size_chart")),
        stock=stock,
        aliases=[a.strip() for a in _listed(meta.get("aliases")) if isinstance(a, str) and a.strip()],
    )


def _size_chart(sizes: List[str], chart: Any) -> SizeChart:
    """Measurements per size in the platform's size order; a size the metafield does not cover gets {}."""
    if not sizes:
        return {ONE_SIZE: {}}
    chart = chart if isinstance(chart, dict) else {}
    return {s: _ranges(chart.get(s)) for s in sizes}


def _ranges(value: Any) -> Dict[str, List[float]]:
    """{"height": [150, 160], ...} from a merchant-typed metafield, keeping only well-formed [min, max] pairs."""
    if not isinstance(value, dict):
        return {}
    return {str(k): [float(r[0]), float(r[1])] for k, r in value.items() if _is_range(r)}


def _is_range(r: Any) -> bool:
    return isinstance(r, list) and len(r) == 2 and all(isinstance(x, (int, float)) for x in r)


def _metafield_value(m: Dict[str, Any]) -> Any:
    """The value as Python: json metafields come as a JSON string in REST. A merchant's typo in one is not the
    platform failing, so it reads as no value rather than making the catalog unavailable."""
    value = m["value"]
    if str(m.get("type", "")).startswith("json") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _listed(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _customer_view(c: Dict[str, Any]) -> CustomerView:
    return CustomerView(
        name=_person_name(c),
        email=c.get("email") or "",
        phone=c.get("phone") or "",
        vip="vip" in {t.lower() for t in _tags(c.get("tags"))},
        channel_id=str(int(c["id"])),
    )


def _person_name(p: Dict[str, Any]) -> str:
    first, last = str(p.get("first_name") or "").strip(), str(p.get("last_name") or "").strip()
    if _CJK.search(first + last):  # Chinese names read family name first, without a space
        return f"{last}{first}"
    return " ".join(x for x in (first, last) if x)


def _in_window(rule: Dict[str, Any], now: datetime) -> bool:
    ends = _utc(rule.get("ends_at")) or NO_END
    return _utc(rule["starts_at"]) <= now <= ends


def _coupon_view(rule: Dict[str, Any], code: Dict[str, Any]) -> CouponView:
    subtotal = _dict(rule.get("prerequisite_subtotal_range") or {})
    limit, used = rule.get("usage_limit"), int(code.get("usage_count") or 0)
    return CouponView(
        code=str(code["code"]),
        kind="percent" if rule["value_type"] == "percentage" else "amount",
        value=abs(float(rule["value"])),
        min_spend=float(subtotal.get("greater_than_or_equal_to") or 0),
        starts_at=_utc(rule["starts_at"]),
        ends_at=_utc(rule.get("ends_at")) or NO_END,
        active=limit is None or used < int(limit),  # a code used up is as good as switched off
    )


# -- payload helpers ----------------------------------------------------------------------------------------


def _utc(value: Any) -> Optional[datetime]:
    """A Shopify timestamp ("2024-01-05T10:00:00+08:00") as naive UTC; None for none."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def _created(x: Dict[str, Any]) -> datetime:
    return _utc(x.get("created_at")) or datetime.min


def _tags(value: Any) -> List[str]:
    """Shopify's comma-separated tag string as a list."""
    if not value:
        return []
    return [t.strip() for t in str(value).split(",") if t.strip()]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plain(html: Any) -> str:
    return " ".join(_TAG_RE.sub(" ", html).split()) if isinstance(html, str) else ""


def _dict(value: Any) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any) -> List[Dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise TypeError("expected a list of objects")
    return value


def _dicts(data: Any, key: str) -> List[Dict[str, Any]]:
    """data[key] as a list of objects; [] when the platform answered 404 (data None)."""
    return [] if data is None else _list(_dict(data)[key])
