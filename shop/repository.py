"""kefu's own shop schema (shop/models.py) as a ShopStore: the demo's adapter, and a shop's own ERP's
if it writes these tables.

Every method is synchronous (SQLAlchemy 1.4 ORM) and returns plain views (shop/store.py), never live ORM
objects; callers run it through ``asyncio.to_thread`` so a slow query never stalls an event loop. A
database that does not answer is ``StoreUnavailable``, as a platform that does not.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Callable, Collection, Dict, List, Optional, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload, sessionmaker

from shop import db
from shop.models import (
    Coupon,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    ReturnRequest,
    Shipment,
)
from shop.store import (
    CouponView,
    CustomerView,
    ItemView,
    OrderView,
    PlacedOrders,
    ProductView,
    StoreCounts,
    StoreUnavailable,
)

F = TypeVar("F", bound=Callable)


def _unavailable_on_db_error(method: F) -> F:
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except DBAPIError as exc:  # the server is down, restarting or refusing us
            raise StoreUnavailable(f"shop database: {type(exc.orig).__name__}") from exc

    return wrapper  # type: ignore[return-value]


def _product_view(p: Product) -> ProductView:
    return ProductView(
        sku=p.sku,
        name_en=p.name_en,
        name_zh=p.name_zh,
        category=p.category,
        price=p.price,
        material_en=p.material_en,
        material_zh=p.material_zh,
        colours=list(p.colours),
        size_chart=dict(p.size_chart),
        stock=dict(p.stock),
        aliases=list(p.aliases or []),
    )


def _order_view(order: Order) -> OrderView:
    """An order with its items, customer, shipment, payments and returns loaded, as a view."""
    failed = [p for p in order.payments if p.status == "failed"]
    last_failed = max(failed, key=lambda p: p.created_at) if failed else None
    open_ret = [r for r in order.returns if r.status in ("requested", "received")]
    refunded = [r for r in order.returns if r.status == "refunded"]
    ship = order.shipment
    return OrderView(
        number=order.number,
        status=order.status,
        region=order.region,
        total=order.total,
        created_at=order.created_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        customer_name=order.customer.name,
        customer_email=order.customer.email,
        customer_phone=order.customer.phone,
        customer_channel_id=order.customer.channel_id,
        customer_vip=order.customer.vip,
        items=[
            ItemView(
                i.product.name_en,
                i.product.name_zh,
                i.product.category,
                i.colour,
                i.size,
                i.quantity,
            )
            for i in order.items
        ],
        carrier=ship.carrier if ship else None,
        tracking_no=ship.tracking_no if ship else None,
        last_status=ship.last_status if ship else None,
        last_location=ship.last_location if ship else None,
        last_event_at=ship.last_event_at if ship else None,
        eta=ship.eta if ship else None,
        last_failure_reason=last_failed.failure_reason if last_failed else None,
        open_return=open_ret[0].kind if open_ret else None,
        refunded_at=refunded[0].refunded_at if refunded else None,
        refund_amount=refunded[0].refund_amount if refunded else None,
    )


def _coupon_view(c: Coupon) -> CouponView:
    return CouponView(c.code, c.kind, c.value, c.min_spend, c.starts_at, c.ends_at, c.active)


# order numbers asked in one query (SQLite allows 32,766 parameters)
NUMBERS_PER_QUERY = 5000


class ShopRepository:
    """The ShopStore queries over kefu's schema, one method each."""

    def __init__(self, sessions: sessionmaker) -> None:
        self._session = sessions

    @classmethod
    def connect(cls, database_url: str) -> "ShopRepository":
        return cls(db.session_maker(db.make_engine(database_url)))

    def close(self) -> None:
        db.close(self._session)

    @_unavailable_on_db_error
    def find_order(self, number: str) -> Optional[OrderView]:
        with self._session() as s:
            order = s.execute(
                select(Order)
                .where(Order.number == number)
                .options(
                    selectinload(Order.items).selectinload(OrderItem.product),
                    selectinload(Order.customer),
                    selectinload(Order.shipment),
                    selectinload(Order.payments),
                    selectinload(Order.returns),
                )
            ).scalar_one_or_none()
            return _order_view(order) if order is not None else None

    @_unavailable_on_db_error
    def latest_order(self) -> Optional[OrderView]:
        with self._session() as s:
            order = s.execute(select(Order).order_by(Order.created_at.desc()).limit(1)).scalar_one_or_none()
            return _order_view(order) if order is not None else None

    @_unavailable_on_db_error
    def counts(self) -> StoreCounts:
        with self._session() as s:
            orders = s.execute(select(func.count(Order.id))).scalar_one()
            return StoreCounts(orders=orders, products=s.execute(select(func.count(Product.id))).scalar_one())

    @_unavailable_on_db_error
    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        """The window's orders with their buyers' channel ids, then which of `numbers` (the orders chats proved, maybe
        older ones) those buyers own: a few queries whatever the number of chats. The buyer key is the customer id."""
        in_window = (Order.created_at >= start) & (Order.created_at <= end)
        with self._session() as s:
            times: Dict[str, List[datetime]] = {}
            by_channel_id: Dict[str, str] = {}
            placed = s.execute(
                select(Order.customer_id, Customer.channel_id, Order.created_at)
                .join(Customer, Customer.id == Order.customer_id)
                .where(in_window)
                .order_by(Order.created_at)
            )
            for customer_id, channel_id, created_at in placed:
                key = str(customer_id)
                times.setdefault(key, []).append(created_at)
                if channel_id:
                    by_channel_id[channel_id] = key
            buyers = select(Order.customer_id).where(in_window).distinct()
            wanted, by_order_number = sorted(set(numbers)), {}
            for at in range(0, len(wanted), NUMBERS_PER_QUERY):
                chunk = wanted[at : at + NUMBERS_PER_QUERY]
                owned = select(Order.number, Order.customer_id).where(
                    Order.number.in_(chunk), Order.customer_id.in_(buyers)
                )
                by_order_number.update((number, str(customer_id)) for number, customer_id in s.execute(owned))
        return PlacedOrders(times, by_channel_id, by_order_number)

    @_unavailable_on_db_error
    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        with self._session() as s:
            c = s.execute(select(Customer).where(Customer.channel_id == channel_id)).scalar_one_or_none()
            return CustomerView(c.name, c.email, c.phone, c.vip, c.channel_id) if c else None

    @_unavailable_on_db_error
    def products(self) -> List[ProductView]:
        with self._session() as s:
            rows = s.execute(select(Product).order_by(Product.id)).scalars().all()
            return [_product_view(p) for p in rows]

    @_unavailable_on_db_error
    def valid_coupons(self, now: datetime) -> List[CouponView]:
        with self._session() as s:
            rows = (
                s.execute(
                    select(Coupon)
                    .where(Coupon.active.is_(True), Coupon.starts_at <= now, Coupon.ends_at >= now)
                    .order_by(Coupon.min_spend)
                )
                .scalars()
                .all()
            )
            return [_coupon_view(c) for c in rows]

    @_unavailable_on_db_error
    def coupon(self, code: str) -> Optional[CouponView]:
        with self._session() as s:
            c = s.execute(select(Coupon).where(Coupon.code == code.upper())).scalar_one_or_none()
            return _coupon_view(c) if c else None

    @_unavailable_on_db_error
    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        """Open a return/exchange request; False if one is already open for the order.

        The row lock (a no-op on SQLite, whose writes are serialised anyway) keeps two
        concurrent requests from opening two returns.
        """
        with self._session.begin() as s:
            order = s.execute(select(Order).where(Order.number == number).with_for_update()).scalar_one()
            if any(r.status in ("requested", "received") for r in order.returns):
                return False
            s.add(ReturnRequest(order=order, kind=kind, status="requested", reason=reason, created_at=now))
            order.status = "return_requested"
            return True

    @_unavailable_on_db_error
    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        """Cancel an order that has not shipped; returns the state it had, or None if it can't."""
        with self._session.begin() as s:
            order = s.execute(select(Order).where(Order.number == number).with_for_update()).scalar_one_or_none()
            if order is None or order.status not in ("unpaid", "paid"):
                return None
            was, order.status = order.status, "cancelled"
            return was

    @_unavailable_on_db_error
    def failed_payments(self, number: str) -> List[str]:
        with self._session() as s:
            rows = (
                s.execute(
                    select(Payment.failure_reason)
                    .join(Order)
                    .where(Order.number == number, Payment.status == "failed")
                    .order_by(Payment.created_at)
                )
                .scalars()
                .all()
            )
            return [r for r in rows if r]

    @_unavailable_on_db_error
    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        """A customer's latest orders with status and tracking, for the agent console's customer panel."""
        with self._session() as s:
            rows = s.execute(
                select(Order.number, Order.status, Order.total, Order.created_at, Shipment.tracking_no)
                .join(Customer)
                .outerjoin(Shipment)
                .where(Customer.email == email)
                .order_by(Order.created_at.desc())
                .limit(limit)
            )
            return [
                {"number": n, "status": st, "total": t, "created_at": c.isoformat(), "tracking_no": tr}
                for n, st, t, c, tr in rows
            ]
