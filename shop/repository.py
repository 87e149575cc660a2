"""Read and write the shop database, for the actions and the agent console.

Every method is synchronous (SQLAlchemy 1.4 ORM) and returns plain dataclasses, never live ORM
objects; callers run it through ``asyncio.to_thread`` so a slow query never stalls an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import select
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
    region: str
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


@dataclass(frozen=True)
class ProductView:
    sku: str
    name_en: str
    name_zh: str
    category: str
    price: float
    material_en: str
    material_zh: str
    colours: List[str]
    size_chart: Dict[str, Dict[str, List[float]]]
    stock: Dict[str, Dict[str, int]] = field(default_factory=dict)

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
    )


def _coupon_view(c: Coupon) -> CouponView:
    return CouponView(c.code, c.kind, c.value, c.min_spend, c.starts_at, c.ends_at, c.active)


class ShopRepository:
    """Queries the actions need, one method each."""

    def __init__(self, sessions: sessionmaker) -> None:
        self._session = sessions

    @classmethod
    def connect(cls, database_url: str) -> "ShopRepository":
        return cls(db.session_maker(db.make_engine(database_url)))

    def close(self) -> None:
        db.close(self._session)

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
            if order is None:
                return None
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

    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        with self._session() as s:
            c = s.execute(select(Customer).where(Customer.channel_id == channel_id)).scalar_one_or_none()
            return CustomerView(c.name, c.email, c.phone, c.vip, c.channel_id) if c else None

    def products(self) -> List[ProductView]:
        with self._session() as s:
            rows = s.execute(select(Product).order_by(Product.id)).scalars().all()
            return [_product_view(p) for p in rows]

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

    def coupon(self, code: str) -> Optional[CouponView]:
        with self._session() as s:
            c = s.execute(select(Coupon).where(Coupon.code == code.upper())).scalar_one_or_none()
            return _coupon_view(c) if c else None

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

    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        """Cancel an order that has not shipped; returns the state it had, or None if it can't."""
        with self._session.begin() as s:
            order = s.execute(select(Order).where(Order.number == number).with_for_update()).scalar_one_or_none()
            if order is None or order.status not in ("unpaid", "paid"):
                return None
            was, order.status = order.status, "cancelled"
            return was

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
