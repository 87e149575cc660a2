"""MarketplaceStore against the fake marketplace's order API, a real process over HTTP.

The shop is tests/platforms/marketplace_shop.json (times relative to the fake's start); paging runs against a
second fake with a generated file. Misbehaviour comes from /_orders_control, call counts from /_orders_stats.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest
import requests

from fake_platforms.marketplace_orders import load_data
from scripts.stack import ROOT, free_port, wait_http
from shop.platforms.http import PlatformHttp
from shop.platforms.marketplace import MarketplaceStore
from shop.store import ItemView, StoreAuthError, StoreUnavailable

TOKEN, SHOP = "mkt-orders-token", "shop-42"
DATA = Path(__file__).with_name("marketplace_shop.json")
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class Fake:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, **settings: object) -> None:
        requests.post(f"{self.url}/_orders_control", json=settings, timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_orders_stats", timeout=5).json()

    def reset(self) -> None:
        requests.post(f"{self.url}/_orders_reset", timeout=5).raise_for_status()

    def store(self, token: str = TOKEN, shop: str = SHOP, timeout_s: float = 2.0, max_wait_s: float = 2.0,
              page_size: int = 100) -> MarketplaceStore:  # fmt: skip
        http = PlatformHttp(self.url, headers={"Authorization": f"Bearer {token}"}, timeout_s=timeout_s,
                            max_wait_s=max_wait_s)  # fmt: skip
        return MarketplaceStore(http, shop, page_size=page_size)


def _start(data: Optional[Path], log: Path) -> Iterator[Fake]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARKETPLACE_APP_SECRET": "s", "MARKETPLACE_ACCESS_TOKEN": TOKEN}
    args = [sys.executable, "-m", "fake_marketplace.service", "--port", str(port), "--shop-id", SHOP,
            "--webhook-url", "http://127.0.0.1:9/none"]  # fmt: skip
    if data is not None:
        args += ["--orders", str(data)]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/health", 30, proc)
            yield Fake(url)
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> Iterator[tuple]:
    before = datetime.utcnow()
    for fake in _start(DATA, tmp_path_factory.mktemp("mkt") / "fake.log"):
        yield fake, before, datetime.utcnow()


@pytest.fixture
def fake(started) -> Fake:
    started[0].reset()
    return started[0]


@pytest.fixture
def store(fake) -> Iterator[MarketplaceStore]:
    s = fake.store()
    yield s
    s.close()


@pytest.fixture
def now(started) -> datetime:
    """About when the fake resolved the data file's relative times ("now-6d")."""
    return started[2]


def close_to(value: Optional[datetime], expected: datetime, slack_s: float = 60) -> bool:
    return value is not None and abs((value - expected).total_seconds()) < slack_s


# -- orders ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, status",
    [
        ("240531B8ND4R", "unpaid"),  # UNPAID
        ("240527W1XS3K", "paid"),  # READY_TO_SHIP
        ("240529W5PR7D", "paid"),  # PROCESSED
        ("240524H3PX9A", "shipped"),  # SHIPPED
        ("240522W9GL2H", "shipped"),  # TO_CONFIRM_RECEIVE
        ("240520K7QW2M", "delivered"),  # COMPLETED
        ("240512N5KD3Q", "delivered"),  # COMPLETED, its return was rejected
        ("240523E8TR4N", "cancelled"),  # IN_CANCEL
        ("240515M2TC6E", "cancelled"),  # CANCELLED
        ("240516E2RT9V", "return_requested"),  # TO_RETURN
        ("240518W6HN5B", "return_requested"),  # COMPLETED with an open exchange
        ("240510R4FJ8U", "refunded"),  # COMPLETED with a REFUNDED return
    ],
)
def test_every_order_status_maps(store, number, status):
    order = store.find_order(number)
    assert order is not None and order.number == number and order.status == status


def test_a_shipped_order_in_full(store, now):
    o = store.find_order("240524H3PX9A")
    assert (o.region, o.total, o.customer_name, o.customer_email) == ("US", 39.0, "Lily Chen", "lily.chen@example.com")
    assert (o.customer_channel_id, o.customer_vip, o.customer_phone) == ("mkt-buyer-1001", False, "13812345678")
    assert o.items == [ItemView("Linen Shirt", "亚麻衬衫", "tops", "white", "L", 1)]
    assert (o.carrier, o.tracking_no, o.last_status, o.last_location) == (
        "SwiftParcel", "SP000481733", "in_transit", "Memphis, TN")  # fmt: skip
    assert o.created_at.tzinfo is None and close_to(o.created_at, now - 72 * HOUR)
    assert o.paid_at - o.created_at == HOUR and o.shipped_at - o.created_at == 24 * HOUR
    assert o.delivered_at is None and o.eta - o.shipped_at == 4 * DAY and o.last_event_at - o.shipped_at == 28 * HOUR
    assert (o.open_return, o.refunded_at, o.refund_amount, o.last_failure_reason) == (None, None, None, None)


def test_returns_refunds_regions_and_items(store):
    refunded = store.find_order("240510R4FJ8U")
    assert refunded.refund_amount == 39.0 and refunded.refunded_at - refunded.delivered_at == 5 * DAY
    assert refunded.open_return is None
    exchange = store.find_order("240518W6HN5B")
    assert exchange.open_return == "exchange" and exchange.customer_name == "王伟" and exchange.customer_vip
    assert exchange.region == "CA" and exchange.items[0].colour == "sky blue" and exchange.items[0].size == "S"
    assert store.find_order("240516E2RT9V").open_return == "return"  # TO_RETURN without a return record
    two = store.find_order("240522W9GL2H")
    assert [(i.product_zh, i.category, i.colour, i.size) for i in two.items] == [
        ("纯棉T恤", "tops", "grey", "XL"), ("真丝围巾", "accessories", "navy", "F")]  # fmt: skip
    assert two.last_status == "delivered"
    assert store.find_order("240523E8TR4N").region == "US"  # sent lower case
    tote = store.find_order("240530E3UP1Z")
    assert tote.region == "" and tote.items[0].colour == "" and tote.items[0].size == "F"  # no address, no model
    assert store.find_order("240531B8ND4R").items[0].quantity == 2


def test_unknown_or_malformed_numbers_are_none(fake, store):
    assert store.find_order("240101ZZZZZZ") is None
    calls = fake.stats().get("calls", 0)
    assert store.find_order("../buyers/mkt-buyer-1001") is None and store.find_order("") is None
    assert fake.stats().get("calls", 0) == calls  # not an order number: not asked at all


def test_failed_payments_oldest_first_and_mapped(store):
    assert store.failed_payments("240531B8ND4R") == ["insufficient_funds", "bank_declined"]
    assert store.failed_payments("240530E3UP1Z") == ["address_mismatch", "expired_card", "3ds_failed", "unknown"]
    assert store.failed_payments("240524H3PX9A") == [] and store.failed_payments("240101ZZZZZZ") == []
    assert store.find_order("240531B8ND4R").last_failure_reason == "bank_declined"
    assert store.find_order("240529W5PR7D").last_failure_reason == "expired_card"  # failed, then paid


def test_cancel_order(store):
    now = datetime.utcnow()
    assert store.cancel_order("240527W1XS3K", now) == "paid"
    assert store.find_order("240527W1XS3K").status == "cancelled"
    assert store.cancel_order("240527W1XS3K", now) is None  # already cancelled: the platform says 409
    assert store.cancel_order("240531B8ND4R", now) == "unpaid"
    assert store.cancel_order("240529W5PR7D", now) == "paid"  # PROCESSED
    assert store.cancel_order("240524H3PX9A", now) is None  # shipped
    assert store.find_order("240524H3PX9A").status == "shipped"
    assert store.cancel_order("240101ZZZZZZ", now) is None


def test_cancel_during_an_outage_is_unavailable(fake, store):
    fake.control(fail_status=503)
    with pytest.raises(StoreUnavailable):
        store.cancel_order("240527W1XS3K", datetime.utcnow())
    fake.control()
    assert store.find_order("240527W1XS3K").status == "paid"


def test_create_return_once(store):
    now = datetime.utcnow()
    assert store.create_return("240520K7QW2M", "return", "too small", now) is True
    order = store.find_order("240520K7QW2M")
    assert order.status == "return_requested" and order.open_return == "return"
    assert store.create_return("240520K7QW2M", "exchange", "too small", now) is False
    assert store.create_return("240518W6HN5B", "exchange", "again", now) is False  # one was open already
    assert store.create_return("240512N5KD3Q", "exchange", "new try", now) is True  # the earlier was rejected
    assert store.find_order("240512N5KD3Q").open_return == "exchange"
    with pytest.raises(StoreUnavailable):
        store.create_return("240527W1XS3K", "return", "not shipped yet", now)  # refused, and none is open


def test_orders_of_a_buyer_newest_first(store):
    orders = store.orders_of("Lily.Chen@example.com")
    assert [o["number"] for o in orders] == ["240531B8ND4R", "240524H3PX9A", "240520K7QW2M", "240515M2TC6E",
                                             "240510R4FJ8U"]  # fmt: skip
    assert orders[1]["status"] == "shipped" and orders[1]["tracking_no"] == "SP000481733"
    assert orders[1]["total"] == 39.0 and datetime.fromisoformat(orders[1]["created_at"])
    assert orders[0]["tracking_no"] is None and [o["number"] for o in store.orders_of("lily.chen@example.com", 2)] == [
        "240531B8ND4R", "240524H3PX9A"]  # fmt: skip
    assert store.orders_of("nobody@example.com") == []


def test_counts_and_latest_order_are_one_call_each(fake, store, now):
    assert store.counts().orders == 14 and store.counts().products == 7
    stats = fake.stats()
    assert stats["GET orders/count"] == 2 and stats["GET products"] == 2 and "GET orders" not in stats
    latest = store.latest_order()
    assert latest.number == "240602N7VB8Y" and latest.status == "paid" and close_to(latest.created_at, now - HOUR)
    assert fake.stats()["GET orders"] == 1


# -- catalog, buyers, vouchers ----------------------------------------------------------------------------------


def test_products(store):
    products = {p.sku: p for p in store.products()}
    assert list(products) == ["LS-01", "FD-02", "CT-03", "RS-07", "SS-08", "LU-09", "TB-10"]
    shirt = products["LS-01"]
    assert (shirt.name_en, shirt.name_zh, shirt.category, shirt.price) == ("Linen Shirt", "亚麻衬衫", "tops", 39.0)
    assert shirt.material_zh == "100%亚麻,透气,冷水机洗"
    assert shirt.aliases == ["linen shirt", "shirt", "衬衫", "亚麻衬衫"]
    assert shirt.colours == ["white", "beige", "navy"] and list(shirt.size_chart) == ["S", "M", "L", "XL"]
    assert shirt.size_chart["M"] == {"height": [160.0, 168.0], "weight": [50.0, 58.0]}
    assert shirt.stock["white"] == {"S": 5, "M": 12, "L": 0, "XL": 2} and shirt.stock["navy"]["XL"] == 6
    assert products["FD-02"].colours == ["pink", "sky blue"] and products["FD-02"].stock["sky blue"]["S"] == 6
    shoes = products["RS-07"]
    assert shoes.size_chart["38"] == {"foot_cm": [23.0, 23.5]} and shoes.stock["black"]["39"] == 2
    assert products["SS-08"].size_chart == {"F": {}} and products["SS-08"].stock == {"red": {"F": 9}, "navy": {"F": 0}}
    assert products["LU-09"].size_chart == {"S": {}, "M": {}, "L": {}}  # sizes without a chart
    tote = products["TB-10"]
    assert tote.colours == [] and tote.stock == {"default": {"F": 40}} and tote.size_chart == {"F": {}}
    assert tote.material_zh == tote.material_en == "16 oz cotton canvas" and "帆布袋" in tote.aliases


def test_products_page_by_cursor(fake):
    store = fake.store(page_size=3)
    assert len(store.products()) == 7
    assert fake.stats()["GET products"] == 3


def test_customer_by_channel_id(store):
    lily = store.customer_by_channel_id("mkt-buyer-1001")
    assert (lily.name, lily.email, lily.phone, lily.vip, lily.channel_id) == (
        "Lily Chen", "lily.chen@example.com", "13812345678", False, "mkt-buyer-1001")  # fmt: skip
    wang = store.customer_by_channel_id("mkt-buyer-1002")
    assert wang.name == "王伟" and wang.vip and wang.email == "wang.wei@example.com"
    assert store.customer_by_channel_id("mkt-buyer-9999") is None and store.customer_by_channel_id("") is None


def test_coupons(store, now):
    assert [(c.code, c.kind, c.value, c.min_spend) for c in store.valid_coupons(now)] == [
        ("WELCOME15", "percent", 15.0, 0.0), ("SAVE10", "amount", 10.0, 50.0)]  # fmt: skip
    summer = store.coupon("summer20")
    assert summer.code == "SUMMER20" and summer.kind == "percent" and summer.ends_at < now and summer.active
    save = store.coupon("SAVE10")
    assert close_to(save.starts_at, now - 30 * DAY) and close_to(save.ends_at, now + 30 * DAY)
    assert store.coupon("NOPE") is None
    assert [c.code for c in store.valid_coupons(now - 100 * DAY)] == ["SUMMER20"]


# -- paging over a generated shop ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[Fake]:
    folder = tmp_path_factory.mktemp("mkt-big")
    buyers = [{"buyer_user_id": "mkt-buyer-7001", "name": "Pat Page", "email": "pat@example.com"},
              {"buyer_user_id": "mkt-buyer-7002", "name": "Other", "email": "other@example.com"}]  # fmt: skip
    start = 1_700_000_000
    orders = [{"order_sn": f"231115P{i:05d}", "order_status": "COMPLETED", "create_time": start + i * 3600,
               "buyer_user_id": buyers[i % 5 == 0]["buyer_user_id"], "total_amount": 10.0 + i, "item_list": []}
              for i in range(1, 31)]  # every fifth order is the other buyer's  # fmt: skip
    (folder / "big.json").write_text(json.dumps({"buyers": buyers, "orders": orders}))
    yield from _start(folder / "big.json", folder / "fake.log")


def test_orders_of_pages_through_the_cursor(big):
    store = big.store(page_size=10)
    orders = store.orders_of("pat@example.com", limit=30)
    expected = [f"231115P{i:05d}" for i in range(30, 0, -1) if i % 5]
    assert [o["number"] for o in orders] == expected  # 24 orders: newest first, only Pat's
    assert big.stats()["GET orders"] == 3
    big.reset()
    assert len(store.orders_of("pat@example.com", limit=15)) == 15 and big.stats()["GET orders"] == 2
    assert store.counts().orders == 30


# -- when the platform misbehaves ------------------------------------------------------------------------------


def test_a_rate_limit_that_fits_is_waited_out(fake):
    store = fake.store(max_wait_s=2.0)
    fake.control(rate_limit={"times": 1, "retry_after": 1})
    t0 = time.monotonic()
    assert store.find_order("240524H3PX9A").status == "shipped"
    assert time.monotonic() - t0 >= 1.0 and fake.stats()["rate_limited"] == 1


def test_a_rate_limit_that_does_not_fit_is_unavailable_at_once(fake):
    store = fake.store(max_wait_s=2.0)
    fake.control(rate_limit={"times": 5, "retry_after": 30})
    t0 = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.find_order("240524H3PX9A")
    assert time.monotonic() - t0 < 1.0 and fake.stats()["rate_limited"] == 1


def test_a_wrong_token_or_shop_is_an_auth_error(fake):
    with pytest.raises(StoreAuthError):
        fake.store(token="stolen").find_order("240524H3PX9A")
    with pytest.raises(StoreAuthError):
        fake.store(shop="someone-else").products()
    with pytest.raises(StoreAuthError):
        fake.store(token="stolen").cancel_order("240527W1XS3K", datetime.utcnow())
    assert fake.stats()["unauthorized"] == 2  # the failed cancel did not read the order afterwards


def test_a_slow_platform_times_out(fake):
    store = fake.store(timeout_s=0.5)
    fake.control(delay_s=2)
    t0 = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.find_order("240524H3PX9A")
    assert time.monotonic() - t0 < 0.5 * (store.http.retries + 1) + 0.5


def test_a_5xx_then_success(fake, store):
    fake.control(fail_status=503, fail_times=2)
    assert store.find_order("240524H3PX9A").status == "shipped"
    assert fake.stats()["refused"] == 2 and fake.stats()["GET orders/<sn>"] == 3


@pytest.mark.parametrize("malformed", ["shape", "not_json", "types"])
def test_a_malformed_payload_is_unavailable(fake, store, malformed):
    fake.control(malformed=malformed)
    calls: List[Callable[[], object]] = [
        lambda: store.find_order("240524H3PX9A"), store.latest_order, store.products, store.counts,
        lambda: store.valid_coupons(datetime.utcnow()), lambda: store.coupon("SAVE10"),
        lambda: store.orders_of("lily.chen@example.com"), lambda: store.failed_payments("240531B8ND4R"),
    ]  # fmt: skip
    if malformed != "types":  # a buyer has no times or counts to get wrong
        calls.append(lambda: store.customer_by_channel_id("mkt-buyer-1001"))
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()


def test_the_channel_control_does_not_touch_the_order_api(fake, store):
    requests.post(f"{fake.url}/_control", json={"fail_status": 503}, timeout=5).raise_for_status()
    try:
        assert store.find_order("240524H3PX9A") is not None
    finally:
        requests.post(f"{fake.url}/_control", json={}, timeout=5).raise_for_status()


def test_without_a_data_file_the_shop_is_empty():
    assert load_data(None) == {"buyers": [], "orders": [], "products": [], "vouchers": []}
    data = load_data(DATA, now=1_000_000)
    assert data["vouchers"][0]["start_time"] == 1_000_000 - 30 * 86400
