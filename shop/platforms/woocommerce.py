"""WooCommerce as a shop store: orders, catalog, customers and coupons read through the WooCommerce REST API v3.

    store = WooCommerceStore.connect("https://shop.example.com", "ck_...", "cs_...")

Every call goes to ``<site>/wp-json/wc/v3/`` with HTTP Basic auth (consumer key / consumer secret, the way
WooCommerce documents it for HTTPS sites) through ``PlatformHttp``. Endpoints used (WooCommerce REST API docs):
``GET orders``, ``GET/PUT orders/<id>``, ``GET/POST orders/<id>/notes``, ``GET orders/<id>/refunds``,
``GET products`` (+ ``include``), ``GET products/<id>/variations``, ``GET customers/<id>``, ``GET coupons``.
Lists are paged by ``page``/``per_page`` (at most 100) with the page count in ``X-WP-TotalPages``.

Order numbers: an order's ``number`` is a string, by default its id; "Sequential Order Numbers" plugins change
it (``WS-1014``, or digits that are not the id). ``find_order`` tries ``GET orders/<number>`` for digits and
keeps it only if its ``number`` matches, else searches ``GET orders?search=<number>`` for an exact ``number``.

Status mapping (WooCommerce -> kefu):
    pending, on-hold, failed, checkout-draft   -> unpaid
    processing without a tracking number       -> paid
    processing with a tracking number          -> shipped
    completed                                  -> delivered (delivered_at = date_completed_gmt)
    cancelled                                  -> cancelled
    refunded                                   -> refunded (refunded_at / refund_amount from orders/<id>/refunds)
    any other status with a _kefu_return meta  -> return_requested (open_return = the meta's value)
    an unknown (plugin) status                 -> paid when date_paid_gmt is set, else unpaid
Tracking comes from the WooCommerce Shipment Tracking extension's order meta ``_wc_shipment_tracking_items``
([{tracking_provider, custom_tracking_provider, tracking_number, date_shipped (unix seconds)}]; the last wins).
Return/exchange requests are order meta ``_kefu_return`` ("return"/"exchange") plus an order note with the
buyer's reason. WooCommerce has no conditional update, so two concurrent requests can both write it; the
second write carries the same meaning, so nothing is lost.

Failed payments: WooCommerce keeps no list of payment attempts; payment gateways write order notes instead.
``failed_payments`` reads ``orders/<id>/notes`` oldest first and keeps the system notes (``added_by_user``
false, not customer notes: notes we or the staff write are never payment outcomes) that say a payment failed
(fail / declined / unsuccessful / denied / not authorised / could not be processed; WooCommerce's own
"Order status changed ..." notes are skipped, the gateway's note already counts). Each is mapped by the first
phrase it contains: "insufficient funds" -> insufficient_funds; "3d secure"/"3ds"/"authenticat..." ->
3ds_failed; "expired" -> expired_card; "address"/"avs" -> address_mismatch; "declined" -> bank_declined;
else unknown. ``find_order`` reads notes (one more call) only for unpaid orders, whose last failure is the
one a buyer asks about; other orders get ``last_failure_reason`` None.

Catalog: published products only. Colours are the options of a "Color"/"Colour" attribute, lower-cased; sizes
the options of a "Size" attribute (else one size "F"). Stock: a variable product's published variations
(a variation without a colour or size applies to every option, as WooCommerce's "Any ..." does; a specific
variation overrides it); a simple product's one figure applies to each option it lists. Stock WooCommerce
does not count (``stock_quantity`` null) is 1 when in stock ("at least one"), else 0. The category is the
first category's slug (a key like "tops"). kefu's extra data lives in product meta set by the shop:
``kefu_name_zh``, ``kefu_material_zh``, ``kefu_aliases`` (a list, or a comma-separated string as the admin's
Custom Fields box stores it) and ``kefu_size_chart`` (a SizeChart dict, or its JSON text); material_en is the
short description (else the description) without HTML. A shop's ill-formed meta is ignored, not fatal.

Customers: the channel id of a WooCommerce customer is its numeric id; VIP when its role is "vip" or a meta
``kefu_vip`` is truthy. Coupons: WooCommerce stores codes in lower case and has no start date (the creation
date stands in); kefu shows codes upper case. "fixed_cart"/"fixed_product" -> "amount", "percent" -> "percent".

Any payload missing what we read (or of the wrong type) raises StoreUnavailable, like a platform that is down.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any, Collection, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from shop.platforms.http import PlatformHttp
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

log = logging.getLogger(__name__)

API = "/wp-json/wc/v3"
PER_PAGE = 100  # WooCommerce's maximum page size
RETURN_META = "_kefu_return"
TRACKING_META = "_wc_shipment_tracking_items"
NO_EXPIRY = datetime(9999, 12, 31)  # a coupon without date_expires never expires
UNTRACKED_IN_STOCK = 1  # stock WooCommerce doesn't count but says is there: "at least one"

UNPAID = {"pending", "on-hold", "failed", "checkout-draft"}
CANCELLABLE = {"pending", "on-hold", "processing"}
COLOUR_NAMES = {"color", "colour"}
SIZE_NAMES = {"size"}
CARRIER_NAMES = {"ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl": "DHL", "tnt": "TNT", "gls": "GLS", "dpd": "DPD"}
TRUTHY = {"1", "yes", "true", "y", "on"}

_FAILURE = re.compile(r"fail|declin|unsuccessful|denied|not authori[sz]ed|could not be (?:processed|completed)", re.I)
_STATUS_NOTE = re.compile(r"^\s*order status changed", re.I)
# first match wins: "declined: insufficient funds" is about the funds, "declined: card expired" about the card
_REASONS: Sequence[Tuple[str, "re.Pattern[str]"]] = (
    ("insufficient_funds", re.compile(r"insufficient funds", re.I)),
    ("3ds_failed", re.compile(r"3-?d[ -]?secure|\b3ds\b|authenticat", re.I)),
    ("expired_card", re.compile(r"expired", re.I)),
    ("address_mismatch", re.compile(r"address|\bavs\b", re.I)),
    ("bank_declined", re.compile(r"declin", re.I)),
)
_TAG = re.compile(r"<[^>]+>")
_DIGITS = re.compile(r"[0-9]+")


@contextlib.contextmanager
def _payload(what: str) -> Iterator[None]:
    """Turn a payload that lacks what we read (KeyError, wrong types) into StoreUnavailable."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise StoreUnavailable(f"WooCommerce sent a malformed {what}: {type(exc).__name__}: {exc}") from exc


def _obj(value: Any, what: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise StoreUnavailable(f"WooCommerce sent a malformed {what}: expected an object")
    return value


def _list(value: Any, what: str) -> List[Dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise StoreUnavailable(f"WooCommerce sent a malformed {what}: expected a list of objects")
    return value


def _utc(value: Any) -> Optional[datetime]:
    """Naive UTC from WooCommerce's ISO dates (date_*_gmt has no offset; other sources may have one)."""
    if value in (None, ""):
        return None
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _required_utc(value: Any) -> datetime:
    dt = _utc(value)
    if dt is None:
        raise ValueError("a required date is empty")
    return dt


def _from_unix(value: Any) -> Optional[datetime]:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(float(value)), tz=timezone.utc).replace(tzinfo=None)


def _money(value: Any) -> float:
    return 0.0 if value in (None, "") else float(value)


def _text(value: Any) -> str:
    """Plain text of WooCommerce's HTML fields."""
    return " ".join(html.unescape(_TAG.sub(" ", str(value or ""))).split())


def _meta(obj: Dict[str, Any], key: str) -> Any:
    """The first value of a meta_data key (what WooCommerce's get_meta returns), or None."""
    for m in obj.get("meta_data") or []:
        if isinstance(m, dict) and m.get("key") == key:
            return m.get("value")
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, (int, float)) and value != 0) or str(value).strip().lower() in TRUTHY


def _tracking(order: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The last Shipment Tracking entry with a tracking number, if any."""
    items = _meta(order, TRACKING_META)
    if not isinstance(items, list):
        return None
    numbered = [i for i in items if isinstance(i, dict) and i.get("tracking_number")]
    return numbered[-1] if numbered else None


def _carrier(item: Dict[str, Any]) -> Optional[str]:
    custom = str(item.get("custom_tracking_provider") or "").strip()
    if custom:
        return custom
    slug = str(item.get("tracking_provider") or "").strip()  # the extension stores a slug ("ups", "royal-mail")
    return CARRIER_NAMES.get(slug.lower(), slug.replace("-", " ").title()) or None


def order_status(order: Dict[str, Any]) -> str:
    """kefu's status for a WooCommerce order (the mapping in the module docstring)."""
    wc = order["status"]
    if _meta(order, RETURN_META) and wc != "refunded":
        return "return_requested"
    if wc in UNPAID:
        return "unpaid"
    if wc == "processing":
        return "shipped" if _tracking(order) else "paid"
    known = {"completed": "delivered", "cancelled": "cancelled", "refunded": "refunded"}
    if wc in known:
        return known[wc]
    return "paid" if order.get("date_paid_gmt") else "unpaid"


def failure_reason(note: str) -> str:
    for reason, pattern in _REASONS:
        if pattern.search(note):
            return reason
    return "unknown"


def _is_payment_failure(note: Dict[str, Any]) -> bool:
    if note.get("added_by_user") or note.get("customer_note"):
        return False
    text = _text(note["note"])
    return bool(_FAILURE.search(text)) and not _STATUS_NOTE.match(text)


def _attr_kind(name: Any) -> Optional[str]:
    """ "colour" or "size" for an attribute named Color/Colour/Size (or its taxonomy pa_color/pa_size)."""
    key = str(name or "").strip().lower()
    key = key[3:] if key.startswith("pa_") else key
    return "colour" if key in COLOUR_NAMES else "size" if key in SIZE_NAMES else None


def _options(product: Dict[str, Any]) -> Tuple[List[str], List[str]]:
    """(colour keys, sizes) in the product's order."""
    found: Dict[str, List[str]] = {"colour": [], "size": []}
    for attr in product.get("attributes") or []:
        kind = _attr_kind(attr["name"])
        if kind and not found[kind]:
            found[kind] = [str(o).strip() for o in attr.get("options") or []]
    colours = list(dict.fromkeys(o.lower() for o in found["colour"] if o))
    sizes = list(dict.fromkeys(o for o in found["size"] if o))
    return colours, sizes


def _units(item: Dict[str, Any]) -> int:
    quantity = item["stock_quantity"]  # always sent; null when WooCommerce doesn't count the stock
    if quantity is not None:
        return max(0, int(quantity))
    return UNTRACKED_IN_STOCK if item.get("stock_status", "instock") == "instock" else 0


def _aliases(value: Any) -> List[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [str(a).strip() for a in value if str(a).strip()]


def _size_chart(value: Any, sizes: List[str]) -> SizeChart:
    """The shop's chart for the product's sizes; a size it doesn't cover (or a chart we can't read) gets {}."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    chart = value if isinstance(value, dict) else {}
    return {s: _chart_row(chart.get(s)) for s in sizes}


def _chart_row(row: Any) -> Dict[str, List[float]]:
    if not isinstance(row, dict):
        return {}
    out: Dict[str, List[float]] = {}
    for measure, bounds in row.items():
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            log.warning("WooCommerce size chart: ignoring %s=%r", measure, bounds)
            continue
        out[str(measure)] = [low, high]
    return out


def _item_options(item: Dict[str, Any]) -> Tuple[str, str]:
    """(colour key, size) of an order line, from the variation attributes WooCommerce copies into its meta."""
    colour, size = NO_COLOUR, ONE_SIZE
    for m in item.get("meta_data") or []:
        key = str(m.get("key") or "")
        if key.startswith("_"):
            continue  # WooCommerce's own hidden line meta (_reduced_stock, ...)
        kind = _attr_kind(key) or _attr_kind(m.get("display_key"))
        if not kind:
            continue
        shown = _text(m.get("display_value"))
        # without display_value, a taxonomy attribute's value is the term slug ("navy-stripe")
        raw = str(m.get("value") or "")
        value = shown or (raw.replace("-", " ") if key.startswith("pa_") else raw)
        if kind == "colour":
            colour = value.strip().lower() or NO_COLOUR
        else:
            size = value.strip() or ONE_SIZE
    return colour, size


def _customer_name(c: Dict[str, Any]) -> str:
    billing = c.get("billing") or {}
    for first, last in (
        (c.get("first_name"), c.get("last_name")),
        (billing.get("first_name"), billing.get("last_name")),
    ):
        name = f"{first or ''} {last or ''}".strip()
        if name:
            return name
    return str(c.get("username") or c.get("email") or "")


def _is_vip(c: Dict[str, Any]) -> bool:
    return str(c.get("role") or "").lower() == "vip" or _truthy(_meta(c, "kefu_vip"))


def _coupon_view(c: Dict[str, Any]) -> CouponView:
    kind = "percent" if "percent" in str(c["discount_type"]) else "amount"
    limit, used = c.get("usage_limit"), int(c.get("usage_count") or 0)
    used_up = limit is not None and int(limit) > 0 and used >= int(limit)
    published = c.get("status") in (None, "publish")  # newer WooCommerce versions report the post status
    return CouponView(
        code=str(c["code"]).upper(),
        kind=kind,
        value=abs(_money(c["amount"])),
        min_spend=_money(c.get("minimum_amount")),
        starts_at=_required_utc(c["date_created_gmt"]),
        ends_at=_utc(c.get("date_expires_gmt")) or NO_EXPIRY,
        active=published and not used_up,
    )


class WooCommerceStore:
    """ShopStore over a WooCommerce site's REST API v3 (no caching here: a wrapper adds it)."""

    def __init__(self, http: PlatformHttp) -> None:
        self.http = http

    @classmethod
    def connect(
        cls, base_url: str, key: str, secret: str, timeout_s: float = 2.0, max_wait_s: float = 2.0
    ) -> "WooCommerceStore":
        return cls(PlatformHttp(base_url, auth=(key, secret), timeout_s=timeout_s, max_wait_s=max_wait_s))

    def close(self) -> None:
        self.http.close()

    # ---- orders ------------------------------------------------------------------------------------------

    def find_order(self, number: str) -> Optional[OrderView]:
        raw = self._raw_order(number)
        return None if raw is None else self._order_view(raw)

    def latest_order(self) -> Optional[OrderView]:
        rows = _list(self._get("orders", {"per_page": 1, "orderby": "date", "order": "desc"}), "order list")
        return self._order_view(rows[0]) if rows else None

    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        """The customer's latest orders. The search matches substrings anywhere in an order, so a full page is
        asked for and only orders billed to exactly this email are kept."""
        wanted = email.strip().lower()
        if limit <= 0 or not wanted:
            return []
        params = {"search": wanted, "per_page": PER_PAGE, "orderby": "date", "order": "desc"}
        rows = _list(self._get("orders", params), "order list")
        out: List[Dict[str, object]] = []
        with _payload("order list"):
            for raw in rows:
                if str((raw["billing"] or {}).get("email") or "").strip().lower() != wanted:
                    continue
                tracking = _tracking(raw)
                created = _required_utc(raw["date_created_gmt"])
                out.append(
                    {
                        "number": str(raw["number"]),
                        "status": order_status(raw),
                        "total": _money(raw["total"]),
                        "created_at": created.isoformat(),
                        "tracking_no": str(tracking["tracking_number"]) if tracking else None,
                    }
                )
        return out[:limit]

    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        raw = self._raw_order(number)
        if raw is None:
            raise StoreUnavailable(f"WooCommerce has no order {number}")
        if _meta(raw, RETURN_META):
            return False
        order_id = raw["id"]
        self._send("PUT", f"orders/{order_id}", {"meta_data": [{"key": RETURN_META, "value": kind}]})
        note = reason.strip() or f"The buyer asked for a {kind}."
        self._send("POST", f"orders/{order_id}/notes", {"note": note})
        return True

    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        """Cancel an unshipped order. Read-then-write: WooCommerce has no conditional update, so an order
        shipped in the same second is still cancelled (the shop sees it in its notes)."""
        raw = self._raw_order(number)
        if raw is None:
            return None
        with _payload("order"):
            was, wc = order_status(raw), raw["status"]
            order_id = raw["id"]
        if wc not in CANCELLABLE or was not in ("unpaid", "paid"):
            return None
        done = self._send("PUT", f"orders/{order_id}", {"status": "cancelled"})
        return was if done is not None else None

    def failed_payments(self, number: str) -> List[str]:
        raw = self._raw_order(number)
        return [] if raw is None else self._failures(raw)

    # ---- catalog, customers, coupons ---------------------------------------------------------------------

    def products(self) -> List[ProductView]:
        views: List[ProductView] = []
        for page in self.http.pages_by_number(f"{API}/products", {"per_page": PER_PAGE, "status": "publish"}):
            for raw in _list(page, "product list"):
                views.append(self._product_view(raw))
        return views

    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        if not _DIGITS.fullmatch(channel_id or ""):
            return None  # not a WooCommerce customer id (a marketplace buyer, a chat session)
        raw = self._get(f"customers/{channel_id}")
        if raw is None:
            return None
        c = _obj(raw, "customer")
        with _payload("customer"):
            billing = c["billing"] or {}
            return CustomerView(
                name=_customer_name(c),
                email=str(c["email"] or billing.get("email") or ""),
                phone=str(billing.get("phone") or ""),
                vip=_is_vip(c),
                channel_id=str(c["id"]),
            )

    def valid_coupons(self, now: datetime) -> List[CouponView]:
        views: List[CouponView] = []
        for page in self.http.pages_by_number(f"{API}/coupons", {"per_page": PER_PAGE}):
            with _payload("coupon list"):
                views += [_coupon_view(c) for c in _list(page, "coupon list")]
        valid = [c for c in views if c.active and c.starts_at <= now <= c.ends_at]
        return sorted(valid, key=lambda c: c.min_spend)

    def coupon(self, code: str) -> Optional[CouponView]:
        wanted = code.strip().lower()
        if not wanted:
            return None
        rows = _list(self._get("coupons", {"code": wanted}), "coupon list")
        with _payload("coupon"):
            for c in rows:
                if str(c["code"]).lower() == wanted:
                    return _coupon_view(c)
        return None

    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        """Unknown: the REST API would page through every order of the window (100 a page)
        against its rate limit, so the reports show the conversion as unknown."""
        return None

    def counts(self) -> StoreCounts:
        return StoreCounts(
            orders=self._total("orders", {"per_page": 1}),
            products=self._total("products", {"per_page": 1, "status": "publish"}),
        )

    # ---- helpers -----------------------------------------------------------------------------------------

    def _get(self, path: str, params: Optional[Dict[str, Any]] = None) -> Any:
        return self.http.get_json(f"{API}/{path}", params)

    def _send(self, method: str, path: str, body: Dict[str, Any]) -> Any:
        return self.http.send_json(method, f"{API}/{path}", body)

    def _total(self, path: str, params: Dict[str, Any]) -> int:
        r = self.http.request("GET", f"{API}/{path}", params=params)
        if r is None:
            raise StoreUnavailable(f"WooCommerce has no {path} endpoint (is the REST API enabled?)")
        with _payload(f"{path} count"):
            return int(r.headers["X-WP-Total"])

    def _raw_order(self, number: str) -> Optional[Dict[str, Any]]:
        number = (number or "").strip()
        if not number:
            return None
        if _DIGITS.fullmatch(number):
            raw = self._get(f"orders/{number}")
            if raw is not None and str(_obj(raw, "order").get("number")) == number:
                return raw
        # a plugin's number (WS-1014), or digits that are not this order's id: the search covers order numbers
        rows = _list(self._get("orders", {"search": number, "per_page": PER_PAGE}), "order list")
        with _payload("order list"):
            return next((r for r in rows if str(r["number"]) == number), None)

    def _order_view(self, raw: Dict[str, Any]) -> OrderView:
        with _payload("order"):
            status, tracking = order_status(raw), _tracking(raw)
            lines = raw["line_items"]
            products = self._products_by_id({int(i["product_id"]) for i in lines if i.get("product_id")})
            customer_id = int(raw.get("customer_id") or 0)
            customer = self._customer(customer_id) if customer_id else None
            billing, shipping = raw["billing"] or {}, raw.get("shipping") or {}
            refunded_at, refund_amount = self._refund(raw) if raw["status"] == "refunded" else (None, None)
            failures = self._failures(raw) if raw["status"] in UNPAID else []
            open_return = _meta(raw, RETURN_META)
            return OrderView(
                number=str(raw["number"]),
                status=status,
                region=str(shipping.get("country") or "").strip().upper(),
                total=_money(raw["total"]),
                created_at=_required_utc(raw["date_created_gmt"]),
                paid_at=_utc(raw.get("date_paid_gmt")),
                shipped_at=_from_unix(tracking.get("date_shipped")) if tracking else None,
                delivered_at=_utc(raw.get("date_completed_gmt")),
                customer_name=f"{billing.get('first_name') or ''} {billing.get('last_name') or ''}".strip(),
                customer_email=str(billing.get("email") or ""),
                customer_phone=str(billing.get("phone") or ""),
                customer_channel_id=str(customer_id) if customer_id else None,
                customer_vip=bool(customer and _is_vip(customer)),
                items=[self._item_view(i, products) for i in lines],
                carrier=_carrier(tracking) if tracking else None,
                tracking_no=str(tracking["tracking_number"]) if tracking else None,
                last_failure_reason=failures[-1] if failures else None,
                open_return=str(open_return) if open_return and raw["status"] != "refunded" else None,
                refunded_at=refunded_at,
                refund_amount=refund_amount,
            )

    @staticmethod
    def _item_view(item: Dict[str, Any], products: Dict[int, Dict[str, Any]]) -> ItemView:
        product = products.get(int(item.get("product_id") or 0))
        colour, size = _item_options(item)
        if product is None:  # deleted since: the line keeps its own name ("Shirt - Navy, M" for a variation)
            name = str(item.get("parent_name") or item["name"])
            return ItemView(name, name, "", colour, size, int(item["quantity"]))
        name_en = str(product["name"])
        category = product.get("categories") or [{}]
        return ItemView(
            product_en=name_en,
            product_zh=str(_meta(product, "kefu_name_zh") or name_en),
            category=str(category[0].get("slug") or category[0].get("name") or "").lower(),
            colour=colour,
            size=size,
            quantity=int(item["quantity"]),
        )

    def _products_by_id(self, ids: Set[int]) -> Dict[int, Dict[str, Any]]:
        if not ids:
            return {}
        params = {"include": ",".join(str(i) for i in sorted(ids)), "per_page": PER_PAGE}
        rows = _list(self._get("products", params) or [], "product list")
        return {int(p["id"]): p for p in rows}

    def _customer(self, customer_id: int) -> Optional[Dict[str, Any]]:
        raw = self._get(f"customers/{customer_id}")
        return None if raw is None else _obj(raw, "customer")

    def _refund(self, raw: Dict[str, Any]) -> Tuple[Optional[datetime], Optional[float]]:
        """(latest refund's time, total refunded) from the order's refunds."""
        refunds = _list(self._get(f"orders/{raw['id']}/refunds") or [], "refund list")
        if not refunds:  # the order's own summary: refunds [{id, total: "-10.00"}], no dates
            summary = raw.get("refunds") or []
            return None, (sum(abs(_money(r["total"])) for r in summary) if summary else None)
        times = [t for t in (_utc(r.get("date_created_gmt")) for r in refunds) if t]
        return (max(times) if times else None), sum(abs(_money(r["amount"])) for r in refunds)

    def _failures(self, raw: Dict[str, Any]) -> List[str]:
        notes = _list(self._get(f"orders/{raw['id']}/notes") or [], "order notes")
        with _payload("order notes"):
            notes = sorted(notes, key=lambda n: (str(n.get("date_created_gmt") or ""), int(n.get("id") or 0)))
            return [failure_reason(_text(n["note"])) for n in notes if _is_payment_failure(n)]

    def _product_view(self, raw: Dict[str, Any]) -> ProductView:
        with _payload("product"):
            colours, sizes = _options(raw)
            sizes = sizes or [ONE_SIZE]
            keys = colours or [NO_COLOUR]
            if raw.get("type") == "variable":
                stock = self._variation_stock(int(raw["id"]), keys, sizes)
            else:
                units = _units(raw)
                stock = {c: {s: units for s in sizes} for c in keys}
            name_en = str(raw["name"])
            material_en = _text(raw.get("short_description")) or _text(raw.get("description"))
            category = raw.get("categories") or [{}]
            return ProductView(
                sku=str(raw.get("sku") or f"wc-{raw['id']}"),
                name_en=name_en,
                name_zh=str(_meta(raw, "kefu_name_zh") or name_en),
                category=str(category[0].get("slug") or category[0].get("name") or "").lower(),
                price=_money(raw.get("price")),
                material_en=material_en,
                material_zh=str(_meta(raw, "kefu_material_zh") or material_en),
                colours=colours,
                size_chart=_size_chart(_meta(raw, "kefu_size_chart"), sizes),
                stock=stock,
                aliases=_aliases(_meta(raw, "kefu_aliases")),
            )

    def _variation_stock(self, product_id: int, colours: List[str], sizes: List[str]) -> Dict[str, Dict[str, int]]:
        stock = {c: {s: 0 for s in sizes} for c in colours}
        variations: List[Dict[str, Any]] = []
        for page in self.http.pages_by_number(f"{API}/products/{product_id}/variations", {"per_page": PER_PAGE}):
            variations += _list(page, "variation list")
        published = [v for v in variations if v.get("status", "publish") == "publish"]
        # "Any colour"/"Any size" variations first, so a specific variation's figure overrides theirs
        for v in sorted(published, key=lambda v: len(v["attributes"])):
            chosen = {_attr_kind(a["name"]): str(a["option"]).strip() for a in v["attributes"]}
            for colour in [chosen["colour"].lower()] if chosen.get("colour") else colours:
                for size in [chosen["size"]] if chosen.get("size") else sizes:
                    stock.setdefault(colour, {})[size] = _units(v)
        return stock
