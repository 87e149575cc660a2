"""The shop's data on the platform shop.yml names: ``open_store`` makes the adapter, behind a cache.

    kefu_sql     kefu's own schema at DATABASE_URL (shop/repository.py), the demo's
    shopify      the Shopify Admin REST API (shop/platforms/shopify.py)
    woocommerce  the WooCommerce REST API v3 (shop/platforms/woocommerce.py)
    marketplace  the marketplace channel's order API (shop/platforms/marketplace.py)

A platform adapter sits behind ``CachedStore``: answers are reused for ``store.cache_s`` (platforms limit
calls), and while the platform is down the last answer it gave is served, dated (``OrderView.as_of``).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Callable, Collection, Dict, List, Optional

from shop.config import ShopConfig
from shop.platforms.cache import LastKnownCache
from shop.settings import Settings, UnsafeStart
from shop.store import (
    CouponView,
    CustomerView,
    OrderView,
    PlacedOrders,
    ProductView,
    ShopStore,
    StoreAuthError,
    StoreCounts,
)

log = logging.getLogger(__name__)


class StoreConfigError(ValueError):
    """shop.yml names a platform whose address or secrets the environment lacks."""


AuthWatch = Callable[[Optional[StoreAuthError]], None]


def open_store(cfg: ShopConfig, settings: Settings, *, patient: bool = False,
               on_auth: Optional[AuthWatch] = None) -> ShopStore:  # fmt: skip
    """The adapter shop.yml store.adapter names. ``patient`` (training, `make connect`) waits out longer
    rate limits than a buyer would. ``on_auth`` hears of every refusal of our credentials (with the error),
    and of the first answer after one (None): the operator alert rises and clears with them."""
    store = cfg.store
    if store.adapter == "kefu_sql":
        from shop.repository import ShopRepository

        return ShopRepository.connect(settings.database_url)
    missing = missing_settings(cfg, settings)
    if missing:
        raise StoreConfigError(f"store.adapter {store.adapter} needs {', '.join(missing)}")
    url = settings.shop_api_url or store.url
    wait = 30.0 if patient else store.timeout_s
    if store.adapter == "shopify":
        from shop.platforms.shopify import ShopifyStore

        inner = ShopifyStore.connect(url, settings.shop_api_token, store.api_version, store.timeout_s, wait)
    elif store.adapter == "woocommerce":
        from shop.platforms.woocommerce import WooCommerceStore

        inner = WooCommerceStore.connect(url, settings.shop_api_key, settings.shop_api_secret, store.timeout_s, wait)
    else:
        from shop.platforms.marketplace import MarketplaceStore

        inner = MarketplaceStore.connect(url, store.shop_id, settings.shop_api_token, store.timeout_s, wait)
    return CachedStore(inner, store.cache_s, on_auth)


def missing_settings(cfg: ShopConfig, settings: Settings) -> List[str]:
    """What the adapter shop.yml names lacks: environment variables, or shop.yml keys. The action server and
    the helpdesk refuse to start without them (a buyer should never be the first to find out)."""
    store, url = cfg.store, settings.shop_api_url or cfg.store.url
    needs = {
        "kefu_sql": {},
        "shopify": {"SHOP_API_URL (or store.url)": url, "SHOP_API_TOKEN": settings.shop_api_token},
        "woocommerce": {"SHOP_API_URL (or store.url)": url, "SHOP_API_KEY": settings.shop_api_key,
                        "SHOP_API_SECRET": settings.shop_api_secret},
        "marketplace": {"SHOP_API_URL (or store.url)": url, "SHOP_API_TOKEN": settings.shop_api_token,
                        "store.shop_id in shop.yml": store.shop_id},
    }[store.adapter]  # fmt: skip
    return [name for name, value in needs.items() if not value]


def refuse_without_store_settings(cfg: ShopConfig, settings: Settings) -> None:
    """Stop a process that would read the shop's data (the action server, the helpdesk) before it opens a port."""
    missing = missing_settings(cfg, settings)
    if missing:
        raise UnsafeStart(f"shop.yml store.adapter {cfg.store.adapter} needs: {', '.join(missing)} "
                          '(README "Connect your shop")')  # fmt: skip


class CachedStore:
    """A platform adapter with a short-lived cache that also serves the last known answer in an outage."""

    def __init__(self, inner: ShopStore, fresh_s: float, on_auth: Optional[AuthWatch] = None) -> None:
        self.inner = inner
        self._cache: LastKnownCache = LastKnownCache(fresh_s)
        self._on_auth = on_auth
        self._refused = False

    def _get(self, key: tuple, load: Callable[[], object]):
        """(value, None), or (the last known value, when it was fetched) while the platform is down."""

        def watched() -> object:
            try:
                value = load()
            except StoreAuthError as exc:  # the buyer may still get the last known copy; the operator must know
                log.error("the shop platform refused our credentials: %s", exc)
                self._refused = True
                if self._on_auth:
                    self._on_auth(exc)
                raise
            if self._refused:  # the credentials work again
                self._refused = False
                if self._on_auth:
                    self._on_auth(None)
            return value

        return self._cache.get(key, watched)

    def find_order(self, number: str) -> Optional[OrderView]:
        order, fetched_at = self._get(("order", number), lambda: self.inner.find_order(number))
        if order is not None and fetched_at is not None:
            return dataclasses.replace(order, as_of=datetime.utcfromtimestamp(fetched_at))
        return order

    def customer_by_channel_id(self, channel_id: str) -> Optional[CustomerView]:
        return self._get(("customer", channel_id), lambda: self.inner.customer_by_channel_id(channel_id))[0]

    def products(self) -> List[ProductView]:
        return self._get(("products",), self.inner.products)[0]

    def valid_coupons(self, now: datetime) -> List[CouponView]:
        return self._get(("coupons",), lambda: self.inner.valid_coupons(now))[0]

    def coupon(self, code: str) -> Optional[CouponView]:
        return self._get(("coupon", code.upper()), lambda: self.inner.coupon(code))[0]

    def failed_payments(self, number: str) -> List[str]:
        return self._get(("failed", number), lambda: self.inner.failed_payments(number))[0]

    def orders_of(self, email: str, limit: int = 20) -> List[Dict[str, object]]:
        return self._get(("orders_of", email.lower(), limit), lambda: self.inner.orders_of(email, limit))[0]

    # writes and onboarding go straight to the platform; a write makes the cached order stale

    def create_return(self, number: str, kind: str, reason: str, now: datetime) -> bool:
        try:
            return self.inner.create_return(number, kind, reason, now)
        finally:
            self._cache.forget(("order", number))

    def cancel_order(self, number: str, now: datetime) -> Optional[str]:
        try:
            return self.inner.cancel_order(number, now)
        finally:
            self._cache.forget(("order", number))

    def orders_placed(self, start: datetime, end: datetime, numbers: Collection[str] = ()) -> Optional[PlacedOrders]:
        return self.inner.orders_placed(start, end, numbers)  # a report's window is asked once: nothing to cache

    def counts(self) -> StoreCounts:
        return self.inner.counts()

    def latest_order(self) -> Optional[OrderView]:
        return self.inner.latest_order()

    def close(self) -> None:
        self.inner.close()
