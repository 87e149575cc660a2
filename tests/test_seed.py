"""The demo shop: realistic, reproducible, and seeded only once."""

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from scripts.seed_shop import seed
from shop.db import make_engine, session_maker
from shop.models import ORDER_STATES, Base, Coupon, Order, Payment


def sessions(url: str):
    return session_maker(make_engine(url))


def test_demo_shop_is_realistic(shop_db):
    with sessions(shop_db)() as s:
        orders = s.execute(select(Order)).scalars().all()
        states = Counter(o.status for o in orders)
        assert len(orders) >= 200
        assert set(states) == set(ORDER_STATES)
        failures = s.execute(select(Payment.failure_reason).where(Payment.status == "failed")).scalars().all()
        assert len(set(failures)) >= 4
        assert s.execute(select(Coupon)).scalars().all()


def row_counts(url: str) -> dict:
    with sessions(url)() as s:
        return {
            table.name: s.execute(select(func.count()).select_from(table)).scalar()
            for table in Base.metadata.sorted_tables
        }


def test_seeding_again_without_reset_changes_nothing(shop_db):
    before = row_counts(shop_db)
    seed(shop_db)
    assert row_counts(shop_db) == before


def orders_of(url: str) -> list:
    with sessions(url)() as s:
        rows = s.execute(select(Order).order_by(Order.number)).scalars().all()
        return [(o.number, o.status, o.customer.email, o.total, o.created_at) for o in rows]


def test_the_same_day_seeds_the_same_shop(tmp_path):
    now = datetime(2026, 11, 30, 12, 0)
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    seed(first, now=now, orders=40)
    seed(second, now=now, orders=40)
    assert orders_of(first) == orders_of(second) and len(orders_of(first)) == 40
