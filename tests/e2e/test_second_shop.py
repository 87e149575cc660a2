"""The second demo shop, by configuration only: a tea shop whose orders and catalog live on (fake) Shopify,
with "#1001" order numbers, CNY, other products, colours and sizes, and buyers writing mostly Chinese.

The same stack as the built-in shop, started with demo_shops/teahouse/shop.yml and the model trained on
its catalog (models/kefu-teahouse.tar.gz, `make test` trains it): the bot answers its order and product
questions, writes returns to Shopify, says so politely while Shopify is down, and raises the operator
alert when Shopify refuses the token.
"""

from __future__ import annotations

import re
import time
from typing import Iterator

import pytest
import requests

from scripts.stack import ROOT, Stack
from tests.e2e.conftest import Chat
from tests.polling import wait_for
from tests.shop_files import write_shop

TEA_SHOP = ROOT / "demo_shops" / "teahouse" / "shop.yml"
TEA_MODEL = ROOT / "models" / "kefu-teahouse.tar.gz"


@pytest.fixture(scope="module")
def tea(tmp_path_factory) -> Iterator[Stack]:
    if not TEA_MODEL.exists():
        pytest.fail("no model for the second shop: run `make test` (it trains models/kefu-teahouse.tar.gz)")
    var = tmp_path_factory.mktemp("tea")

    def roomy(raw: dict) -> None:
        for agent in raw["helpdesk"]["agents"]:
            agent["capacity"] = 50
        raw["store"]["cache_s"] = 0  # every question asks Shopify: the outage tests see it at once

    shop = write_shop(var, roomy, source=TEA_SHOP)
    (var / "shopify.json").write_text((TEA_SHOP.parent / "shopify.json").read_text(encoding="utf-8"))
    s = Stack.on_free_ports(shop_config=shop, model=TEA_MODEL, var_dir=var)
    s.start(timeout=240)
    yield s
    s.stop()


@pytest.fixture
def chat(tea, request):
    counter = {"n": 0}

    def make() -> Chat:
        counter["n"] += 1
        return Chat(tea, f"tea-{request.node.name[:40]}-{counter['n']}")

    return make


def joined(replies) -> str:
    return "\n".join(replies)


def shopify(tea: Stack, path: str, body: dict | None = None) -> requests.Response:
    """The fake Shopify of the stack: its Admin API (with the stack's token) or its controls."""
    url, headers = f"http://127.0.0.1:{tea.platform_port}{path}", {"X-Shopify-Access-Token": tea.platform_token}
    if body is not None:
        return requests.post(url, json=body, headers=headers, timeout=10)
    return requests.get(url, headers=headers, timeout=10)


def test_a_shopify_order_number_is_understood_and_answered_after_proof(chat):
    c = chat()
    ask = joined(c.say("我的订单#1003到哪了"))
    assert "#1003" in ask and ("邮箱" in ask or "手机号" in ask), ask
    answer = joined(c.say("emily.carter@example.com"))
    assert "SP408215736" in answer and "SwiftParcel" in answer, answer
    assert re.search(r"[\u4e00-\u9fff]", answer)  # still in Chinese


def test_a_bare_number_and_a_phone_with_country_code(chat):
    c = chat()
    ask = joined(c.say("hi, any news on order 1002?"))
    assert "#1002" in ask and ("email" in ask or "phone" in ask), ask
    answer = joined(c.say("+86 138 0123 4567"))
    assert "paid" in answer and "mainland China" in answer and "Yixing" not in ask, answer


def test_someone_elses_order_stays_private(chat):
    c = chat()
    c.say("订单1004什么时候到")
    reply = joined(c.say("我的邮箱是 emily.carter@example.com"))
    assert "不一致" in reply and "SP408220914" not in reply, reply


def test_product_questions_use_the_catalog(chat):
    colours = joined(chat().say("紫砂壶有哪些颜色"))
    assert "紫泥" in colours and "朱泥" in colours, colours
    stock = joined(chat().say("is the jasmine pearls in stock?"))
    assert "Jasmine Pearls" in stock and re.search(r"50g|100g", stock), stock
    oolong = joined(chat().say("铁观音250g还有货吗"))  # a product without colours, by size alone; no 码 for grams
    assert "铁观音" in oolong and "default" not in oolong and "码" not in oolong, oolong


def test_coupons_come_from_shopify(chat):
    reply = joined(chat().say("现在有优惠券吗"))
    assert "TEA20" in reply and "SPRING10" not in reply and "¥" in reply, reply


def test_a_return_is_written_to_shopify(chat, tea):
    c = chat()
    offer = joined(c.say("#1004 我想退货"))
    assert "邮箱" in offer or "手机号" in offer
    offer = joined(c.say("13698765432"))
    assert "#1004" in offer and "退货" in offer, offer
    done = joined(c.say("好的"))
    assert "退货申请" in done, done
    order = shopify(tea, "/admin/api/2024-01/orders.json?name=%231004&status=any").json()["orders"][0]
    assert "kefu-return-requested" in order["tags"]


def test_shopify_down_gives_the_last_known_status_or_an_apology(chat, tea):
    c = chat()
    c.say("where is my order #1012")
    first = joined(c.say("siyuan.chen@example.com"))
    assert "SP408231190" in first, first
    shopify(tea, "/_control", {"fail_status": 503})
    try:
        again = joined(c.say("where is my order #1012"))
        assert "isn't answering" in again and "SP408231190" in again, again
        never_seen = joined(chat().say("订单#1013到哪了"))
        assert "暂时没有响应" in never_seen and "Traceback" not in never_seen, never_seen
        shopify(tea, "/_control", {"delay_s": 6})  # slow, not down: the buyer still waits at most store.timeout_s
        started = time.monotonic()
        slow = joined(c.say("where is order #1012 please"))
        assert "isn't answering" in slow and "SP408231190" in slow, slow
        assert time.monotonic() - started < 4.5
    finally:
        shopify(tea, "/_control", {})


def test_a_refused_token_raises_the_operator_alert_until_it_works_again(chat, tea):
    def alerts() -> list:
        auth = {"Authorization": f"Bearer {tea.helpdesk_token}"}
        return requests.get(f"{tea.helpdesk_url}/queue", headers=auth, timeout=10).json()["alerts"]

    shopify(tea, "/_control", {"fail_status": 401})
    try:
        reply = joined(chat().say("订单#1015到哪了"))
        assert "暂时没有响应" in reply, reply
        assert [a["name"] for a in alerts()] == ["shop_platform_auth"]
        assert "shopify" in alerts()[0]["text"]
    finally:
        shopify(tea, "/_control", {})
    chat().say("订单#1011到哪了")  # Shopify answers again
    wait_for(lambda: alerts() == [], timeout=10)
