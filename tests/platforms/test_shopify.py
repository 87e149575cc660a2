"""The Shopify adapter against the fake Shopify Admin API, both real: a subprocess on a free port, real HTTP.

The fake serves the tea shop demo (demo_shops/teahouse/shopify.json), whose "_known" block lists the answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests

from scripts.stack import ROOT, free_port, wait_http
from shop.platforms.shopify import NO_END, ShopifyStore
from shop.store import StoreAuthError, StoreUnavailable

DATA = ROOT / "demo_shops" / "teahouse" / "shopify.json"
KNOWN: Dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))["_known"]
TOKEN = "shpat_tests_0123456789"
API = "/admin/api/2024-01"


class Fake:
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "fake_platforms.shopify", "--port", str(self.port), "--data", str(data),
               "--token", TOKEN]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(f"{self.url}/health", timeout=30, proc=self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def control(self, **ctl: Any) -> None:
        requests.post(f"{self.url}/_control", json=ctl, timeout=5).raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.url}/_reset", timeout=5).raise_for_status()

    def stats(self) -> Dict[str, int]:
        return requests.get(f"{self.url}/_stats", timeout=5).json()

    def store(self, token: str = TOKEN, **kwargs: Any) -> ShopifyStore:
        return ShopifyStore.connect(self.url, token, **kwargs)


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake]:
    server = Fake(DATA)
    yield server
    server.stop()


@pytest.fixture
def store(fake: Fake) -> Iterator[ShopifyStore]:
    fake.reset()  # every test starts from the data file, well-behaved, with zero stats
    s = fake.store()
    yield s
    s.close()
    fake.reset()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- orders -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(KNOWN["orders"]))
def test_find_order_maps_every_known_order(store: ShopifyStore, number: str) -> None:
    want = KNOWN["orders"][number]
    order = store.find_order(number)
    assert order is not None
    assert (order.number, order.status, order.total, order.region) == (number, want["status"], want["total"],
                                                                      want["region"])  # fmt: skip
    assert (order.customer_email, order.customer_phone) == (want["email"], want["phone"])
    assert order.customer_channel_id == str(want["customer_id"])
    assert order.tracking_no == want.get("tracking_no")
    assert order.created_at.tzinfo is None and order.created_at < utcnow()


def test_status_details(store: ShopifyStore) -> None:
    now = utcnow()
    delivered = store.find_order("#1004")
    assert delivered.status == "delivered" and delivered.last_status == "delivered"
    # "-2d" in the shop's +08:00 offset, read back as naive UTC
    assert abs(delivered.delivered_at - (now - timedelta(days=2))) < timedelta(minutes=5)
    assert abs(delivered.created_at - (now - timedelta(days=6))) < timedelta(minutes=5)
    assert delivered.shipped_at < delivered.delivered_at and delivered.paid_at == delivered.created_at
    assert store.find_order("#1005").delivered_at < now - timedelta(days=19)

    shipped = store.find_order("#1003")
    assert (shipped.carrier, shipped.tracking_no, shipped.last_status) == ("SwiftParcel", "SP408215736", "in_transit")
    assert shipped.delivered_at is None and shipped.customer_name == "Emily Carter" and shipped.region == "US"
    assert store.find_order("#1012").last_status == "out_for_delivery"
    assert store.find_order("#1013").last_status == "picked_up"
    assert store.find_order("#1019").last_status == "exception"
    assert store.find_order("#1024").status == "shipped"  # partly fulfilled, in transit

    assert store.find_order("#1008").open_return == "return"
    assert store.find_order("#1016").open_return == "exchange"
    refunded = store.find_order("#1007")
    assert refunded.status == "refunded" and refunded.refund_amount == 298.0 and refunded.open_return is None
    assert abs(refunded.refunded_at - (now - timedelta(days=5))) < timedelta(minutes=5)
    partly = store.find_order("#1017")
    assert partly.status == "delivered" and partly.refund_amount == 68.0

    unpaid = store.find_order("#1009")
    assert unpaid.paid_at is None and unpaid.last_failure_reason == "insufficient_funds"
    assert store.find_order("#1001").last_failure_reason is None


def test_order_customer_and_items(store: ShopifyStore) -> None:
    order = store.find_order("#1002")
    assert order.customer_name == "王建国" and order.customer_vip is True
    items = [(i.product_en, i.product_zh, i.category, i.colour, i.size, i.quantity) for i in order.items]
    assert items == [
        ("Yixing Clay Teapot", "宜兴紫砂壶", "teaware", "purple clay", "150ml", 1),
        ("Jasmine Pearls", "茉莉龙珠", "tea", "", "50g", 2),
    ]
    gift = store.find_order("#1006").items[0]
    assert (gift.product_zh, gift.colour, gift.size) == ("山叶茶叶礼盒", "", "F")
    assert store.find_order("#1001").customer_vip is False


def test_unknown_order_is_none(store: ShopifyStore) -> None:
    assert store.find_order("#9999") is None
    assert store.find_order("1001") is None  # Shopify's names carry the "#"


def test_latest_order_and_counts(store: ShopifyStore, fake: Fake) -> None:
    latest = store.latest_order()
    assert latest is not None and latest.number == KNOWN["latest_order"] == "#1025"
    counts = store.counts()
    assert (counts.orders, counts.products) == (KNOWN["order_count"], KNOWN["product_count"]) == (25, 9)
    stats = fake.stats()
    assert stats[f"GET {API}/orders/count.json"] == 1 and stats[f"GET {API}/products/count.json"] == 1
    assert f"GET {API}/products.json" not in stats  # counting never lists the catalog


def test_orders_of(store: ShopifyStore) -> None:
    rows = store.orders_of("jianguo.wang@example.com")
    assert [r["number"] for r in rows] == ["#1025", "#1002", "#1011", "#1017"]
    assert rows[0]["status"] == "paid" and rows[0]["total"] == 556.0 and rows[0]["tracking_no"] is None
    assert rows[2]["tracking_no"] == "SP408056318" and rows[2]["status"] == "delivered"
    assert datetime.fromisoformat(str(rows[0]["created_at"])) > datetime.fromisoformat(str(rows[1]["created_at"]))
    assert [r["number"] for r in store.orders_of("JianGuo.Wang@example.com", limit=2)] == ["#1025", "#1002"]
    assert store.orders_of("nobody@example.com") == []


def test_failed_payments(store: ShopifyStore) -> None:
    for number in ("#1009", "#1014", "#1023"):
        assert store.failed_payments(number) == KNOWN["orders"][number]["failed_payments"]
    assert store.failed_payments("#1023") == ["address_mismatch", "bank_declined"]  # oldest first
    assert store.failed_payments("#1002") == []
    assert store.failed_payments("#9999") == []


def test_create_return_tags_the_order_once(store: ShopifyStore, fake: Fake) -> None:
    now = utcnow()
    assert store.create_return("#1004", "return", "茶饼受潮了", now) is True
    order = store.find_order("#1004")
    assert order.status == "return_requested" and order.open_return == "return"
    assert store.create_return("#1004", "exchange", "again", now) is False
    assert store.create_return("#1008", "return", "already open", now) is False
    assert fake.stats()[f"PUT {API}/orders/5601004.json"] == 1

    assert store.create_return("#1022", "exchange", "想换黑色", now) is True
    raw = requests.get(f"{fake.url}{API}/orders/5601022.json", headers={"X-Shopify-Access-Token": TOKEN}, timeout=5)
    assert raw.json()["order"]["tags"] == "kefu-exchange-requested"
    assert raw.json()["order"]["note"] == "[kefu exchange] 想换黑色"
    assert store.find_order("#1022").open_return == "exchange"


def test_cancel_order(store: ShopifyStore) -> None:
    now = utcnow()
    assert store.cancel_order("#1002", now) == "paid"
    assert store.find_order("#1002").status == "cancelled"
    assert store.cancel_order("#1001", now) == "unpaid"
    assert store.cancel_order("#1002", now) is None  # already cancelled
    assert store.cancel_order("#1003", now) is None  # shipped
    assert store.cancel_order("#1004", now) is None  # delivered
    assert store.cancel_order("#9999", now) is None


# -- catalog, customers, coupons ----------------------------------------------------------------------------


def test_products(store: ShopifyStore) -> None:
    products = {p.name_en: p for p in store.products()}
    assert len(products) == 9
    pot = products["Yixing Clay Teapot"]
    assert (pot.name_zh, pot.category, pot.price, pot.sku) == ("宜兴紫砂壶", "teaware", 368.0, "YX-PUR-150")
    assert pot.colours == ["purple clay", "red clay"]
    assert pot.size_chart == {"150ml": {}, "220ml": {}}
    assert pot.stock == {"purple clay": {"150ml": 5, "220ml": 2}, "red clay": {"150ml": 0, "220ml": 3}}
    assert "紫砂壶" in pot.aliases and "teapot" in pot.aliases
    tea = products["Tieguanyin Oolong Tea"]
    assert tea.colours == [] and list(tea.size_chart) == ["50g", "100g", "250g"]
    assert tea.stock == {"default": {"50g": 40, "100g": 25, "250g": 0}}
    assert tea.material_zh.startswith("福建安溪") and "oolong" in tea.material_en
    assert {"oolong", "tgy", "乌龙", "铁观音茶"} <= set(tea.aliases)
    cups = products["Celadon Cup Set"]
    assert cups.colours == ["celadon", "white"] and cups.size_chart == {"F": {}}
    assert cups.stock == {"celadon": {"F": 14}, "white": {"F": 0}}
    tray = products["Bamboo Tea Tray"]
    assert (tray.colours, tray.size_chart, tray.stock) == ([], {"F": {}}, {"default": {"F": 7}})
    assert all(p.category in ("tea", "teaware", "gifts") for p in products.values())


def _big_catalog(n: int) -> Dict[str, Any]:
    """n products: odd ones with colour and Chinese-named size options, the first with a size chart metafield."""
    products, metafields = [], {}
    for i in range(1, n + 1):
        pid = 100000 + i
        if i % 2:
            options = [{"name": "Colour", "position": 1, "values": ["Navy", "Sand"]},
                       {"name": "尺码", "position": 2, "values": ["S", "M"]}]  # fmt: skip
            combos = enumerate([("Navy", "S"), ("Navy", "M"), ("Sand", "S"), ("Sand", "M")])
            variants = [{"id": pid * 10 + k, "option1": c, "option2": s, "price": "99.00", "sku": f"B{i}-{c}-{s}",
                         "inventory_quantity": k} for k, (c, s) in combos]  # fmt: skip
        else:
            options = [{"name": "Title", "position": 1, "values": ["Default Title"]}]
            variants = [{"id": pid * 10, "option1": "Default Title", "price": "12.50", "sku": None,
                         "inventory_quantity": -2}]  # fmt: skip
        products.append({"id": pid, "title": f"Item {i}", "body_html": f"<p>Cotton <b>{i}</b></p>",
                         "product_type": "Tops", "tags": "", "options": options, "variants": variants})  # fmt: skip
    chart = {"S": {"height": [150, 160]}, "M": {"height": [160, 170], "weight": [50, 60]}}
    metafields[str(100001)] = [
        {"namespace": "kefu", "key": "size_chart", "type": "json", "value": json.dumps(chart)},
        {"namespace": "kefu", "key": "name_zh", "type": "single_line_text_field", "value": "一号"},
        {"namespace": "other", "key": "name_zh", "type": "single_line_text_field", "value": "not ours"},
    ]
    metafields[str(100003)] = [  # a merchant's typos: ignored, not an outage
        {"namespace": "kefu", "key": "aliases", "type": "json", "value": '["tee", oops'},
        {"namespace": "kefu", "key": "size_chart", "type": "json", "value": json.dumps({"S": {"height": [1]}, "M": 3})},
    ]
    return {"products": products, "metafields": metafields, "customers": [], "orders": []}


def test_products_page_by_link(tmp_path: Path) -> None:
    data = tmp_path / "big.json"
    data.write_text(json.dumps(_big_catalog(600)), encoding="utf-8")
    big = Fake(data)
    try:
        s = big.store(max_wait_s=10)
        products = s.products()
        s.close()
        stats = big.stats()
    finally:
        big.stop()
    assert len(products) == 600 and len({p.name_en for p in products}) == 600
    assert stats[f"GET {API}/products.json"] == 3  # 250 + 250 + 100
    first, second = products[0], products[1]
    assert first.name_zh == "一号" and first.colours == ["navy", "sand"]
    assert first.size_chart == {
        "S": {"height": [150.0, 160.0]},
        "M": {"height": [160.0, 170.0], "weight": [50.0, 60.0]},
    }
    assert first.stock == {"navy": {"S": 0, "M": 1}, "sand": {"S": 2, "M": 3}}
    assert first.material_en == "Cotton 1" and first.sku == "B1-Navy-S"
    assert (second.sku, second.price, second.name_zh) == ("100002", 12.5, "Item 2")
    assert second.size_chart == {"F": {}} and second.stock == {"default": {"F": 0}}  # oversold counts as none
    assert products[2].size_chart == {"S": {}, "M": {}} and products[2].aliases == []


def test_fake_links_previous_and_next(fake: Fake, store: ShopifyStore) -> None:
    headers = {"X-Shopify-Access-Token": TOKEN}
    first = requests.get(f"{fake.url}{API}/products.json", params={"limit": 4}, headers=headers, timeout=5)
    assert [p["title"] for p in first.json()["products"]][0] == "Tieguanyin Oolong Tea"
    assert 'rel="next"' in first.headers["Link"] and 'rel="previous"' not in first.headers["Link"]
    second = requests.get(first.links["next"]["url"], headers=headers, timeout=5)
    assert len(second.json()["products"]) == 4 and "page_info=" in second.links["next"]["url"]
    assert second.links["previous"]["url"].startswith(fake.url)
    last = requests.get(second.links["next"]["url"], headers=headers, timeout=5)
    assert len(last.json()["products"]) == 1 and "next" not in last.links


def test_customer_by_channel_id(store: ShopifyStore) -> None:
    vip = store.customer_by_channel_id(str(KNOWN["vip_customer_id"]))
    assert vip is not None
    assert (vip.name, vip.email, vip.phone, vip.vip, vip.channel_id) == (
        "王建国", "jianguo.wang@example.com", "+8613801234567", True, "6201002")  # fmt: skip
    emily = store.customer_by_channel_id("6201003")
    assert emily.name == "Emily Carter" and emily.vip is False and emily.phone == "+14155550188"
    assert store.customer_by_channel_id("mkt-buyer-1001") is None
    assert store.customer_by_channel_id("999") is None


def test_coupons(store: ShopifyStore) -> None:
    now = utcnow()
    valid = store.valid_coupons(now)
    assert [c.code for c in valid] == ["WELCOME5", "TEA20"]  # by minimum spend
    welcome, tea = valid
    assert (welcome.kind, welcome.value, welcome.min_spend, welcome.ends_at) == ("percent", 5.0, 0.0, NO_END)
    assert (tea.kind, tea.value, tea.min_spend, tea.active) == ("amount", 20.0, 199.0, True)
    assert tea.starts_at < now < tea.ends_at
    assert store.coupon("tea20").code == "TEA20"
    spring = store.coupon("Spring10")
    assert spring is not None and spring.ends_at < now and spring.kind == "percent" and spring.value == 10.0
    assert store.coupon("NOSUCHCODE") is None
    assert {c.code for c in store.valid_coupons(now - timedelta(days=50))} == {"WELCOME5", "SPRING10"}


# -- when the platform misbehaves ---------------------------------------------------------------------------


def test_429_that_fits_is_waited_out(store: ShopifyStore, fake: Fake) -> None:
    fake.control(throttle={"times": 1, "retry_after": 1})
    started = time.monotonic()
    assert store.find_order("#1001").status == "unpaid"
    assert time.monotonic() - started >= 1.0
    assert fake.stats()["throttled"] == 1


def test_429_that_does_not_fit_fails_fast(store: ShopifyStore, fake: Fake) -> None:
    fake.control(throttle={"times": 1, "retry_after": 5})
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.find_order("#1001")
    assert time.monotonic() - started < 1.0


def test_rate_limit_every_third_call(fake: Fake) -> None:
    fake.reset()
    fake.control(rate_limit={"every": 3, "retry_after": 0.2})
    s = fake.store()
    assert len(s.products()) == 9  # 10 calls + retries, every third refused and retried
    s.close()
    assert fake.stats()["throttled"] >= 3
    fake.reset()


def test_bad_token_is_an_auth_error(fake: Fake) -> None:
    s = fake.store(token="shpat_wrong")
    with pytest.raises(StoreAuthError):
        s.find_order("#1001")
    with pytest.raises(StoreAuthError):
        s.products()
    s.close()
    r = requests.get(f"{fake.url}{API}/orders.json", timeout=5)
    assert r.status_code == 401 and "Invalid API key or access token" in r.json()["errors"]


def test_timeout_is_unavailable(fake: Fake) -> None:
    fake.reset()
    fake.control(delay_s=1.5)
    s = fake.store(timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        s.find_order("#1001")
    assert time.monotonic() - started < 0.5 * (s.http.retries + 1) + 0.3
    s.close()
    fake.reset()


def test_5xx_then_success(store: ShopifyStore, fake: Fake) -> None:
    fake.control(fail_status=503, fail_times=1)
    assert store.find_order("#1003").status == "shipped"
    assert fake.stats()["failed"] == 1


def test_5xx_that_persists_is_unavailable(fake: Fake) -> None:
    fake.reset()
    fake.control(fail_status=500)
    s = fake.store(max_wait_s=0.1)  # the default back-off (0.5 s) does not fit: give up at once
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        s.counts()
    assert time.monotonic() - started < 1.0
    s.close()
    fake.reset()


@pytest.mark.parametrize("how", ["malformed", "not_json"])
def test_malformed_payload_is_unavailable(store: ShopifyStore, fake: Fake, how: str) -> None:
    fake.control(**{how: True})
    now = utcnow()
    calls = [
        lambda: store.find_order("#1001"),
        store.products,
        store.counts,
        store.latest_order,
        lambda: store.valid_coupons(now),
        lambda: store.customer_by_channel_id("6201002"),
        lambda: store.orders_of("xiaoyu.lin@example.com"),
        lambda: store.failed_payments("#1009"),
        lambda: store.create_return("#1004", "return", "x", now),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert not isinstance(caught.value, StoreAuthError)
