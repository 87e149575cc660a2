"""What the bot and the console may ask of a shop's data, whichever platform holds it.

One interface (``ShopStore``) with an adapter per platform: kefu's own SQL schema (shop/repository.py,
the demo's default), Shopify, WooCommerce and the marketplace's order API (shop/platforms/). Every
method is synchronous and returns plain frozen views; callers run it through ``asyncio.to_thread``.
``shop.yml store.adapter`` picks the adapter (shop/platforms/__init__.py ``open_store``).

A platform that does not answer raises ``StoreUnavailable``; one that refuses our credentials raises
``StoreAuthError``, which an operator must act on. Neither ever reaches a buyer as a trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Collection, Dict, List, Optional, Protocol

# what a product's size chart holds: size -> {"height": [min_cm, max_cm], "weight": [min_kg, max_kg]}
# (or {"foot_cm": [min, max]} for shoes, or {} when the size has no measurements), ordered small to large
SizeChart = Dict[str, Dict[str, List[float]]]
# a product without colours keeps its stock under this colour key; one without sizes has the one size "F"
NO_COLOUR, ONE_SIZE = "default", "F"


class StoreUnavailable(Exception):
    """The platform is down, slow, rate-limiting us past our patience, or answered with an error."""


class StoreAuthError(StoreUnavailable):
    """The platform refused our credentials (401/403): the bot can't help until an operator fixes them."""


@dataclass(frozen=True)
class ItemView:
    product_en: str
    product_zh: str
    category: str
    colour: str
    size: str
    quantity: int


@dataclass(frozen=True)
class OrderView:
    number: str
    status: str
    region: str  # a shop.yml shipping.regions key, or the ISO country code of the address
    total: float
    created_at: datetime
    paid_at: Optional[datetime]
    shipped_at: Optional[datetime]
    delivered_at: Optional[datetime]
    customer_name: str
    customer_email: str
    customer_phone: str
    customer_channel_id: Optional[str]
    customer_vip: bool
    items: List[ItemView]
    carrier: Optional[str] = None
    tracking_no: Optional[str] = None
    last_status: Optional[str] = None
    last_location: Optional[str] = None
    last_event_at: Optional[datetime] = None
    eta: Optional[datetime] = None
    last_failure_reason: Optional[str] = None
    open_return: Optional[str] = None  # kind of an unfinished return request
    refunded_at: Optional[datetime] = None
    refund_amount: Optional[float] = None
    # set only on a copy served while the platform was down: when that copy was fetched
    as_of: Optional[datetime] = None


@dataclass(frozen=True)
class ProductView:
    sku: str
    name_en: str
    name_zh: str
    category: str
    price: float
    material_en: str
    material_zh: str
    colours: List[str]  # colour keys, lower case ("black"; shop/labels: their words)
    size_chart: SizeChart
    stock: Dict[str, Dict[str, int]] = field(default_factory=dict)  # colour -> size -> units
    aliases: List[str] = field(default_factory=list)  # short names buyers use ("tee", "T恤"), either language

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class CouponView:
    code: str
    kind: str
    value: float
    min_spend: float
    starts_at: datetime
    ends_at: datetime
    active: bool


@dataclass(frozen=True)
class CustomerView:
    name: str
    email: str
    phone: str
    vip: bool
    channel_id: Optional[str]


@dataclass(frozen=True)
class PlacedOrders:
    """The orders placed in a time window, for the reports' conversion figure, and how to recognise their buyers:
    by the channel id a chat verified, or by the number of any order of theirs that a chat proved."""

    times: Dict[str, List[datetime]]  # buyer key (opaque) -> when each of their orders in the window was placed
    by_channel_id: Dict[str, str]  # channel id -> buyer key, for the buyers in `times`
    by_order_number: Dict[str, str]  # the asked order numbers that buyers in `times` own -> buyer key


@dataclass(frozen=True)
class StoreCounts:
    """What `make connect` reports: how much the adapter sees."""

    orders: int
    products: int


class ShopStore(Protocol):
    """The queries the actions and the console make, one method each. Order numbers are canonical
    (shop/order_numbers.py); every time is naive UTC."""

    def find_order(self, number: str) -> Optional[OrderView]: ...

    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]: ...

    def products(self) -> List[ProductView]: ...

    def valid_coupons(self, now: datetime) -> List[CouponView]: ...

    def coupon(self, code: str) -> Optional[CouponView]: ...

    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        """Open a return/exchange request; False if one is already open for the order."""
        ...

    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        """Cancel an order that has not shipped; the state it had, or None if it can't be cancelled."""
        ...

    def failed_payments(self, number: str) -> List[str]:
        """Failure reasons of the order's failed payments, oldest first, as shop.yml payment.failure_advice keys."""
        ...

    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        """A customer's latest orders (number, status, total, created_at ISO, tracking_no), for the console."""
        ...

    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        """The orders placed in [start, end] (naive UTC) with their buyers, and which of `numbers` (orders chats
        proved) those buyers own, in a few queries; None when the platform cannot list them cheaply (the reports
        then say the conversion is unknown)."""
        ...

    def counts(self) -> StoreCounts: ...

    def latest_order(self) -> Optional[OrderView]: ...

    def close(self) -> None: ...
