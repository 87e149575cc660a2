"""The WooCommerce adapter against the fake WooCommerce REST API, over real HTTP in a real subprocess.

The shop's data is tests/platforms/woocommerce_shop.json (dates relative to the fake's start).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
import requests

from scripts.stack import ROOT, free_port, wait_http
from shop.platforms.http import PlatformHttp
from shop.platforms.woocommerce import WooCommerceStore, failure_reason
from shop.store import StoreAuthError, StoreCounts, StoreUnavailable

DATA = Path(__file__).with_name("woocommerce_shop.json")
KEY, SECRET = "ck_test_0123456789", "cs_test_9876543210"
API = "/wp-json/wc/v3"


def start_fake(data: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "fake_platforms.woocommerce", "--port", str(port), "--data", str(data),
            "--key", KEY, "--secret", SECRET]  # fmt: skip
    log = open(log_path, "w")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", 30, proc)
    except Exception:
        stop(proc)
        raise
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Iterator[str]:
    proc, url = start_fake(DATA, tmp_path_factory.mktemp("woo") / "fake.log")
    yield url
    stop(proc)


@pytest.fixture
def woo(fake: str) -> Iterator[WooCommerceStore]:
    requests.post(f"{fake}/_reset", timeout=5).raise_for_status()
    store = WooCommerceStore.connect(fake, KEY, SECRET, timeout_s=2.0, max_wait_s=2.0)
    yield store
    store.close()


def control(url: str, **settings) -> None:
    requests.post(f"{url}/_control", json=settings, timeout=5).raise_for_status()


def stats(url: str) -> dict:
    return requests.get(f"{url}/_stats", timeout=5).json()


def near(when: datetime, ago: timedelta) -> bool:
    return abs(datetime.utcnow() - ago - when) < timedelta(minutes=2)


# ---- orders -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, status",
    [
        ("5001", "unpaid"),  # pending
        ("5002", "unpaid"),  # on-hold
        ("5003", "unpaid"),  # failed
        ("5004", "unpaid"),  # checkout-draft
        ("5005", "paid"),  # processing, no tracking
        ("5006", "shipped"),  # processing with Shipment Tracking
        ("5007", "delivered"),  # completed
        ("5008", "cancelled"),
        ("5009", "refunded"),
        ("5010", "return_requested"),  # completed with _kefu_return
        ("5011", "refunded"),  # refunded wins over _kefu_return
        ("5012", "paid"),
        ("WS-1014", "paid"),  # a Sequential Order Numbers prefix
        ("1099", "delivered"),  # digits that are not the order's id
    ],
)
def test_find_order_maps_every_status(woo: WooCommerceStore, number: str, status: str) -> None:
    order = woo.find_order(number)
    assert order is not None
    assert (order.number, order.status) == (number, status)


def test_unknown_orders_are_none(woo: WooCommerceStore) -> None:
    assert woo.find_order("9999") is None
    assert woo.find_order("ZZ-404") is None
    # order 5015's number is "1099": its id is not a number the shop shows
    assert woo.find_order("5015") is None


def test_a_shipped_order_in_full(woo: WooCommerceStore) -> None:
    o = woo.find_order("5006")
    assert (o.region, o.total, o.carrier, o.tracking_no) == ("US", 95.0, "UPS", "1Z999AA10123456784")
    assert near(o.created_at, timedelta(days=3)) and near(o.paid_at, timedelta(days=3))
    assert near(o.shipped_at, timedelta(days=1)) and o.delivered_at is None and o.created_at.tzinfo is None
    assert (o.customer_name, o.customer_email, o.customer_phone) == (
        "Mia Thornton",
        "mia.thornton@example.com",
        "+1 415 555 0134",
    )
    assert (o.customer_channel_id, o.customer_vip) == ("11", True)
    [item] = o.items
    assert (item.product_en, item.product_zh, item.category, item.colour, item.size, item.quantity) == (
        "Trailhead Sneakers",
        "远足运动鞋",
        "shoes",
        "chalk white",
        "38",
        1,
    )


def test_order_details_per_state(woo: WooCommerceStore) -> None:
    delivered = woo.find_order("5007")
    assert near(delivered.delivered_at, timedelta(days=4)) and delivered.carrier == "USPS"
    assert [(i.product_en, i.colour, i.size) for i in delivered.items] == [
        ("Breeze Linen Shirt", "navy", "M"),
        ("Harbor Striped Tee", "navy stripe", "S"),
    ]
    refunded = woo.find_order("5009")
    assert refunded.refund_amount == 42.0 and near(refunded.refunded_at, timedelta(days=2))
    assert refunded.carrier == "Royal Mail" and refunded.customer_vip  # role "vip"
    partial = woo.find_order("5011")
    assert (partial.refund_amount, partial.open_return) == (36.0, None) and near(partial.refunded_at, timedelta(days=3))
    exchange = woo.find_order("5010")
    assert (exchange.open_return, exchange.carrier, exchange.customer_vip) == ("exchange", "SF Express", False)
    guest = woo.find_order("5012")  # lower-case country, no customer account
    assert (guest.region, guest.customer_channel_id, guest.customer_vip) == ("DE", None, False)
    assert (guest.items[0].colour, guest.items[0].size, guest.items[0].product_zh) == (
        "default",
        "F",
        "Silk Twill Scarf",
    )
    draft = woo.find_order("5004")
    assert (draft.region, draft.customer_name, draft.paid_at) == ("", "", None)
    assert woo.find_order("5001").last_failure_reason == "3ds_failed"
    assert woo.find_order("5005").last_failure_reason is None
    mixed = woo.find_order("5005")
    assert [(i.product_en, i.colour, i.size, i.quantity) for i in mixed.items] == [
        ("Harbor Striped Tee", "navy stripe", "M", 2),
        ("Canvas Tote Bag", "default", "F", 1),
        ("Alpine Wool Beanie", "charcoal", "F", 1),
    ]


def test_latest_order_and_counts(woo: WooCommerceStore, fake: str) -> None:
    assert woo.latest_order().number == "WS-1014"
    before = stats(fake)
    assert woo.counts() == StoreCounts(orders=15, products=8)  # the draft product is not counted
    after = stats(fake)
    assert after["api_calls"] - before["api_calls"] == 2  # one call per count, nothing listed
    assert after[f"GET {API}/orders"] - before[f"GET {API}/orders"] == 1


def test_orders_of_keeps_exact_email(woo: WooCommerceStore) -> None:
    mia = woo.orders_of("mia.thornton@example.com")
    assert [(o["number"], o["status"], o["tracking_no"]) for o in mia] == [
        ("5001", "unpaid", None),
        ("5006", "shipped", "1Z999AA10123456784"),
        ("5007", "delivered", "9400111899560000000011"),
    ]
    assert mia[1]["total"] == 95.0 and datetime.fromisoformat(mia[1]["created_at"]) < datetime.utcnow()
    # the search also finds 5012 (chloe.martin@example.com.au): not the same customer
    assert [o["number"] for o in woo.orders_of("Chloe.Martin@example.com")] == ["5005", "1099"]
    assert [o["number"] for o in woo.orders_of("mia.thornton@example.com", limit=1)] == ["5001"]
    assert woo.orders_of("nobody@example.com") == []


# ---- writes -----------------------------------------------------------------------------------------------


def test_create_return_once(woo: WooCommerceStore, fake: str) -> None:
    assert woo.find_order("5013").open_return is None
    assert woo.create_return("5013", "return", "The shirt runs small", datetime.utcnow()) is True
    assert woo.create_return("5013", "exchange", "again", datetime.utcnow()) is False
    order = woo.find_order("5013")
    assert (order.status, order.open_return) == ("return_requested", "return")
    notes = requests.get(f"{fake}{API}/orders/5013/notes", auth=(KEY, SECRET), timeout=5).json()
    assert [n["note"] for n in notes if n["added_by_user"]] == ["The shirt runs small"]
    assert woo.create_return("5010", "return", "x", datetime.utcnow()) is False  # an exchange is already open


def test_cancel_order(woo: WooCommerceStore) -> None:
    now = datetime.utcnow()
    assert woo.cancel_order("5005", now) == "paid"
    assert woo.find_order("5005").status == "cancelled"
    assert woo.cancel_order("5002", now) == "unpaid"  # on-hold
    assert woo.cancel_order("5006", now) is None  # processing but has tracking: shipped
    assert woo.find_order("5006").status == "shipped"
    assert woo.cancel_order("5007", now) is None and woo.cancel_order("5008", now) is None
    assert woo.cancel_order("9999", now) is None


def test_failed_payments_from_gateway_notes(woo: WooCommerceStore) -> None:
    # staff and customer notes, and WooCommerce's "Order status changed" notes, are not payment outcomes
    assert woo.failed_payments("5001") == ["insufficient_funds", "3ds_failed"]
    assert woo.failed_payments("5003") == ["expired_card", "bank_declined", "address_mismatch", "unknown"]
    assert woo.failed_payments("5002") == [] and woo.failed_payments("5007") == []
    assert woo.failed_payments("9999") == []
    assert failure_reason("Card declined: insufficient funds") == "insufficient_funds"
    assert failure_reason("AVS check failed") == "address_mismatch"


# ---- catalog, customers, coupons --------------------------------------------------------------------------


def test_products(woo: WooCommerceStore) -> None:
    products = {p.sku: p for p in woo.products()}
    assert set(products) == {"BLS-101", "HST-102", "MWD-103", "CTB-104", "AWB-105", "TRS-106", "ECS-107", "wc-109"}
    shirt = products["BLS-101"]
    assert (shirt.name_en, shirt.name_zh, shirt.category, shirt.price) == (
        "Breeze Linen Shirt",
        "清风亚麻衬衫",
        "tops",
        42.0,
    )
    assert shirt.material_en == "100% linen, garment-washed for softness. Machine wash cold."
    assert shirt.material_zh == "100%亚麻,水洗柔软处理,冷水机洗"
    assert shirt.colours == ["white", "sand", "navy"] and list(shirt.size_chart) == ["S", "M", "L", "XL"]
    assert shirt.size_chart["M"] == {"height": [161.0, 169.0], "weight": [52.0, 60.0]}
    assert shirt.aliases == ["linen shirt", "linen", "亚麻衬衫"]
    # Navy L's variation is private (disabled): not for sale
    assert shirt.stock == {
        "white": {"S": 4, "M": 0, "L": 6, "XL": 0},
        "sand": {"S": 0, "M": 3, "L": 0, "XL": 0},
        "navy": {"S": 0, "M": 7, "L": 0, "XL": 2},
    }
    tee = products["HST-102"]  # pa_color attribute; aliases and chart as the Custom Fields box stores them
    assert tee.colours == ["navy stripe", "red stripe"] and tee.aliases == ["tee", "striped tee", "条纹T恤"]
    assert tee.size_chart["XS"] == {"height": [150.0, 157.0], "weight": [40.0, 46.0]}
    assert tee.material_en == tee.material_zh == "Heavyweight cotton jersey & a ribbed collar."
    dress = products["MWD-103"]  # "Colour", no chart, untracked stock
    assert dress.size_chart == {"S": {}, "M": {}, "L": {}} and dress.aliases == []
    assert dress.stock == {"celadon": {"S": 2, "M": 4, "L": 0}, "dusty rose": {"S": 0, "M": 1, "L": 1}}
    shoes = products["TRS-106"]  # an "any colour" variation for size 41
    assert shoes.stock == {
        "chalk white": {"38": 3, "39": 0, "40": 0, "41": 6},
        "black": {"38": 0, "39": 5, "40": 2, "41": 6},
    }
    assert shoes.size_chart["40"] == {"foot_cm": [24.0, 24.5]}
    tote, beanie, scarf = products["CTB-104"], products["AWB-105"], products["wc-109"]
    assert (tote.colours, tote.size_chart, tote.stock, tote.name_zh) == (
        [],
        {"F": {}},
        {"default": {"F": 25}},
        "帆布托特包",
    )
    assert (beanie.colours, beanie.stock, beanie.name_zh, beanie.material_zh) == (
        ["charcoal"],
        {"charcoal": {"F": 8}},
        "Alpine Wool Beanie",
        "Merino wool rib knit",
    )
    assert (scarf.stock, scarf.material_en) == ({"default": {"F": 1}}, "Pure mulberry silk")
    shorts = products["ECS-107"]  # a chart row with a broken measure is dropped, not fatal
    assert shorts.size_chart == {"S": {"height": [155.0, 163.0], "weight": [45.0, 53.0]}, "M": {}, "L": {}}
    assert shorts.stock["olive"] == {"S": 0, "M": 0, "L": 0}


def test_products_are_paged(tmp_path: Path) -> None:
    tops = [{"id": 1, "name": "Tops", "slug": "tops"}]
    data = {
        "products": [
            {
                "id": i,
                "name": f"Generated Tee {i}",
                "sku": f"GEN-{i:03d}",
                "type": "simple",
                "price": "10.00",
                "status": "publish",
                "stock_quantity": i % 7,
                "categories": tops,
                "attributes": [],
                "meta_data": [],
            }
            for i in range(1, 251)
        ]
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    proc, url = start_fake(path, tmp_path / "fake.log")
    try:
        store = WooCommerceStore.connect(url, KEY, SECRET)
        products = store.products()
        assert sorted(p.sku for p in products) == [f"GEN-{i:03d}" for i in range(1, 251)]
        assert {p.sku: p.stock["default"]["F"] for p in products}["GEN-013"] == 6
        assert stats(url)[f"GET {API}/products"] == 3
        assert store.counts().products == 250
        store.close()
    finally:
        stop(proc)


def test_customer_by_channel_id(woo: WooCommerceStore) -> None:
    mia = woo.customer_by_channel_id("11")
    assert (mia.name, mia.email, mia.phone, mia.vip, mia.channel_id) == (
        "Mia Thornton",
        "mia.thornton@example.com",
        "+1 415 555 0134",
        True,
        "11",
    )
    assert woo.customer_by_channel_id("13").vip is True  # role "vip"
    assert woo.customer_by_channel_id("12").vip is False
    assert woo.customer_by_channel_id("16").vip is False  # kefu_vip "0"
    assert woo.customer_by_channel_id("15").name == "Chloe Martin"  # from the billing address
    assert woo.customer_by_channel_id("999") is None
    assert woo.customer_by_channel_id("mkt-buyer-1001") is None


def test_coupons(woo: WooCommerceStore) -> None:
    now = datetime.utcnow()
    valid = woo.valid_coupons(now)
    assert [(c.code, c.kind, c.value, c.min_spend) for c in valid] == [
        ("WELCOME10", "percent", 10.0, 0.0),
        ("SUMMER15", "amount", 15.0, 80.0),
    ]
    summer = woo.coupon("SUMMER15")
    assert summer.active and near(summer.ends_at, timedelta(days=-20)) and near(summer.starts_at, timedelta(days=10))
    spring = woo.coupon("spring5")
    assert (spring.code, spring.kind) == ("SPRING5", "amount") and spring.ends_at < now
    assert woo.coupon("FLASH20").active is False  # used up
    assert woo.coupon("NOPE99") is None


# ---- failures ---------------------------------------------------------------------------------------------


def test_wrong_credentials(woo: WooCommerceStore, fake: str) -> None:
    store = WooCommerceStore.connect(fake, KEY, "cs_wrong")
    with pytest.raises(StoreAuthError):
        store.find_order("5001")
    body = requests.get(f"{fake}{API}/orders", timeout=5).json()
    assert (body["code"], body["data"]["status"]) == ("woocommerce_rest_cannot_view", 401)


def test_rate_limit_that_fits_is_waited_out(woo: WooCommerceStore, fake: str) -> None:
    control(fake, fail_status=429, fail_times=1, retry_after=1)
    started = time.monotonic()
    assert woo.find_order("5008").status == "cancelled"
    assert time.monotonic() - started >= 1.0
    assert stats(fake)["rate_limited"] == 1


def test_rate_limit_that_does_not_fit(woo: WooCommerceStore, fake: str) -> None:
    control(fake, rate_limit={"every": 1, "retry_after": 30})
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        woo.products()
    assert time.monotonic() - started < 1.5


def test_timeout(woo: WooCommerceStore, fake: str) -> None:
    control(fake, delay_s=1.5)
    store = WooCommerceStore(PlatformHttp(fake, auth=(KEY, SECRET), timeout_s=0.4, max_wait_s=1.0, retries=2))
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.find_order("5001")
    assert time.monotonic() - started < 0.4 * 3 + 0.5
    store.close()


def test_server_error_then_success(woo: WooCommerceStore, fake: str) -> None:
    control(fake, fail_status=503, fail_times=2)
    assert woo.coupon("WELCOME10").value == 10.0
    assert stats(fake)[f"GET {API}/coupons"] == 3


def test_server_error_that_persists(woo: WooCommerceStore, fake: str) -> None:
    control(fake, fail_status=500)
    with pytest.raises(StoreUnavailable):
        woo.counts()


@pytest.mark.parametrize(
    "call",
    [
        lambda w: w.find_order("5006"),
        lambda w: w.find_order("WS-1014"),
        lambda w: w.products(),
        lambda w: w.valid_coupons(datetime.utcnow()),
        lambda w: w.customer_by_channel_id("11"),
        lambda w: w.orders_of("mia.thornton@example.com"),
        lambda w: w.latest_order(),
    ],
)
def test_malformed_payload_is_unavailable(woo: WooCommerceStore, fake: str, call) -> None:
    control(fake, malformed=True)
    with pytest.raises(StoreUnavailable):
        call(woo)


def test_malformed_only_in_a_sub_resource(woo: WooCommerceStore, fake: str) -> None:
    control(fake, malformed=True, path="/variations")
    with pytest.raises(StoreUnavailable):
        woo.products()
    control(fake, malformed=True, path="/refunds")
    with pytest.raises(StoreUnavailable):
        woo.find_order("5009")
