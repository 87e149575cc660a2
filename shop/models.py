"""The shop's own data (customers, catalog, orders, shipments, coupons, returns, payments).

SQLAlchemy 1.4 models; SQLite by default, PostgreSQL by DATABASE_URL (engines: shop/db.py).
Queries live in shop/repository.py; the demo data comes from scripts/seed_shop.py.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

from shop import formats

Base = declarative_base()

ORDER_STATES = (
    "unpaid",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "return_requested",
    "refunded",
)


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)
    email = Column(String(120), nullable=False, unique=True)
    phone = Column(String(32), nullable=False)
    vip = Column(Boolean, nullable=False, default=False)
    # the buyer's id on a channel that verifies it (marketplace buyer id, logged-in widget user)
    channel_id = Column(String(formats.MAX_CUSTOMER_ID), unique=True)
    orders = relationship("Order", back_populates="customer")


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    sku = Column(String(32), nullable=False, unique=True)
    name_en = Column(String(80), nullable=False)
    name_zh = Column(String(80), nullable=False)
    category = Column(String(32), nullable=False)
    price = Column(Float, nullable=False)
    material_en = Column(Text, nullable=False)
    material_zh = Column(Text, nullable=False)
    colours = Column(JSON, nullable=False)  # ["black", "white", ...]
    # size -> {"height": [min_cm, max_cm], "weight": [min_kg, max_kg]}; ordered small to large
    size_chart = Column(JSON, nullable=False)
    stock = Column(JSON, nullable=False)  # colour -> size -> units
    aliases = Column(JSON, nullable=False, default=list)  # short names buyers use ("tee", "T恤")

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    number = Column(String(40), nullable=False, unique=True)  # canonical (shop.yml formats.order_numbers)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    status = Column(String(20), nullable=False)
    region = Column(String(20), nullable=False)
    address = Column(Text, nullable=False)
    total = Column(Float, nullable=False)
    coupon_code = Column(String(32))
    created_at = Column(DateTime, index=True, nullable=False)  # the reports read a window of orders (conversion)
    paid_at = Column(DateTime)
    shipped_at = Column(DateTime)
    delivered_at = Column(DateTime)
    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order")
    shipment = relationship("Shipment", back_populates="order", uselist=False)
    payments = relationship("Payment", back_populates="order")
    returns = relationship("ReturnRequest", back_populates="order")


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    colour = Column(String(20), nullable=False)
    size = Column(String(8), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Float, nullable=False)
    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class Shipment(Base):
    __tablename__ = "shipments"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, unique=True)
    carrier = Column(String(40), nullable=False)
    tracking_no = Column(String(40), nullable=False, unique=True)
    # last status we stored ourselves: what the buyer hears when the carrier is down
    last_status = Column(String(40), nullable=False)
    last_location = Column(String(80))
    last_event_at = Column(DateTime)
    eta = Column(DateTime)
    order = relationship("Order", back_populates="shipment")


class Coupon(Base):
    __tablename__ = "coupons"
    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)
    kind = Column(String(10), nullable=False)  # "amount" or "percent"
    value = Column(Float, nullable=False)
    min_spend = Column(Float, nullable=False, default=0)
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False)
    active = Column(Boolean, nullable=False, default=True)


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    kind = Column(String(10), nullable=False)  # "return" or "exchange"
    status = Column(String(20), nullable=False)  # requested, received, refunded, rejected
    reason = Column(Text)
    created_at = Column(DateTime, nullable=False)
    refunded_at = Column(DateTime)
    refund_amount = Column(Float)
    order = relationship("Order", back_populates="returns")


class Payment(Base):
    __tablename__ = "payments"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    method = Column(String(20), nullable=False)
    status = Column(String(12), nullable=False)  # "succeeded" or "failed"
    failure_reason = Column(String(40))  # a key of shop.yml payment.failure_advice
    amount = Column(Float, nullable=False)
    created_at = Column(DateTime, nullable=False)
    order = relationship("Order", back_populates="payments")
