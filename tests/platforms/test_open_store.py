"""open_store and the cache in front of every platform: the adapter shop.yml names, answers reused for
store.cache_s, the last known order (dated) while the platform is down, and the credentials watch that
raises and clears the operator alert in Redis. Against the fake Shopify and a real Redis."""

from __future__ import annotations

import time
from typing import Iterator, List, Optional

import pytest
import redis

from helpdesk import keys
from helpdesk.alerts import SHOP_PLATFORM_AUTH, OperatorAlerts
from shop.config import load_shop_config
from shop.platforms import CachedStore, StoreConfigError, open_store
from shop.repository import ShopRepository
from shop.settings import ROOT, Settings
from shop.store import StoreAuthError, StoreUnavailable
from tests.platforms.test_shopify import DATA, TOKEN, Fake

TEA_SHOP = ROOT / "demo_shops" / "teahouse" / "shop.yml"


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake]:
    server = Fake(DATA)
    yield server
    server.stop()


def tea_settings(url: str, token: str = TOKEN) -> Settings:
    return Settings.from_env({"KEFU_SHOP_CONFIG": str(TEA_SHOP), "SHOP_API_URL": url, "SHOP_API_TOKEN": token})


def test_shop_yml_picks_the_adapter_and_the_environment_its_secrets(fake: Fake, tmp_path):
    cfg = load_shop_config(TEA_SHOP)
    with pytest.raises(StoreConfigError, match="SHOP_API_TOKEN"):
        open_store(cfg, Settings.from_env({"SHOP_API_URL": fake.url}))
    store = open_store(cfg, tea_settings(fake.url))
    assert isinstance(store, CachedStore) and store.find_order("#1003").tracking_no == "SP408215736"
    demo = open_store(
        load_shop_config(ROOT / "shop.yml"), Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path}/x"})
    )
    assert isinstance(demo, ShopRepository)


def test_answers_are_reused_then_served_dated_while_the_platform_is_down(fake: Fake):
    fake.reset()
    store = open_store(load_shop_config(TEA_SHOP), tea_settings(fake.url))
    first = store.find_order("#1012")
    assert first.as_of is None
    calls = fake.stats().get("total", 0)
    assert store.find_order("#1012") == first and fake.stats().get("total", 0) == calls  # from the cache
    store._cache.fresh_s = 0  # the copy is now old: the next read asks Shopify, which is down
    fake.control(fail_status=503)
    try:
        stale = store.find_order("#1012")
        assert stale.as_of is not None and stale.tracking_no == first.tracking_no
        with pytest.raises(StoreUnavailable):
            store.find_order("#1013")  # never seen: nothing to fall back on
    finally:
        fake.reset()


def test_a_refused_token_is_reported_once_per_refusal_and_cleared_by_the_next_answer(fake: Fake):
    fake.reset()
    heard: List[Optional[StoreAuthError]] = []
    store = open_store(load_shop_config(TEA_SHOP), tea_settings(fake.url), on_auth=heard.append)
    store._cache.fresh_s = 0
    fake.control(fail_status=401)
    try:
        with pytest.raises(StoreAuthError):
            store.find_order("#1001")
    finally:
        fake.reset()
    assert len(heard) == 1 and isinstance(heard[0], StoreAuthError)
    store.find_order("#1001")
    store.find_order("#1002")
    assert heard[1:] == [None]  # cleared once, on the first answer


def test_the_alert_lives_in_redis_until_cleared(redis_client: redis.Redis):
    alerts = OperatorAlerts(redis_client)
    watch = alerts.shop_platform_watch("shopify")
    watch(StoreAuthError("401"))
    since = alerts.active()[0]["since"]
    time.sleep(0.01)
    watch(StoreAuthError("401"))  # the same breach: one alert, its first time kept
    [alert] = alerts.active()
    assert alert["name"] == SHOP_PLATFORM_AUTH and alert["since"] == since and alert["last"] > since
    assert "shopify" in alert["text"]
    watch(None)
    assert alerts.active() == [] and not redis_client.exists(keys.ALERTS)
