from collections import Counter

from sqlalchemy import select

from actions.shopdb import ORDER_STATES, Coupon, Order, Payment, session_factory


def test_demo_shop_is_realistic(shop_db):
    with session_factory(shop_db)() as s:
        orders = s.execute(select(Order)).scalars().all()
        states = Counter(o.status for o in orders)
        assert len(orders) >= 200
        assert set(states) == set(ORDER_STATES)
        failures = s.execute(select(Payment.failure_reason).where(Payment.status == "failed")).scalars().all()
        assert len(set(failures)) >= 4
        assert s.execute(select(Coupon)).scalars().all()


def test_seeding_twice_is_harmless(shop_db):
    from scripts.seed_shop import seed

    seed(shop_db)
    with session_factory(shop_db)() as s:
        assert len(s.execute(select(Order.number)).scalars().all()) == len(
            set(s.execute(select(Order.number)).scalars().all())
        )
