"""One HTTP client for every shop platform: time limits, rate limits, auth errors and paging, handled once.

A buyer waits for the answer, so a call has a deadline (shop.yml store.timeout_s per request) and a 429
is waited out only when its Retry-After fits in ``max_wait_s``; anything else is ``StoreUnavailable``.
`make connect` and training read whole catalogs and may wait longer (a larger ``max_wait_s``).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, TypeVar

import requests

from shop.store import StoreAuthError, StoreUnavailable

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
# what reading a payload of the wrong shape raises (a missing key, a wrong type, a bad date or number)
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, OSError)


def malformed_is_unavailable(platform: str) -> Callable[[F], F]:
    """A decorator for an adapter's methods: a payload that lacks a key or has a wrong type means the platform
    misbehaved, which the bot treats as the platform being down (StoreUnavailable), never as a crash."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except MALFORMED as exc:
                detail = f"{type(exc).__name__}: {exc}"
                raise StoreUnavailable(f"{platform} {method.__name__}: malformed payload ({detail})") from exc

        return wrapper  # type: ignore[return-value]

    return decorate


_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="?next"?')
MAX_PAGES = 1_000  # a platform that keeps saying "next" is broken, not large


def next_link(headers: Mapping[str, str]) -> Optional[str]:
    """The rel="next" URL of an RFC 8288 Link header (Shopify's cursor paging), if any."""
    m = _NEXT_LINK.search(headers.get("Link", "") or "")
    return m.group(1) if m else None


class PlatformHttp:
    def __init__(
        self,
        base_url: str,
        *,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout_s: float = 2.0,
        max_wait_s: float = 2.0,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s, self.max_wait_s, self.retries, self._sleep = timeout_s, max_wait_s, retries, sleep
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json", "User-Agent": "kefu", **(headers or {})})
        if auth:
            self._http.auth = auth

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> Optional[requests.Response]:
        """The response of a call that succeeded, or None for a 404; raises StoreUnavailable/StoreAuthError."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        for attempt in range(self.retries + 1):
            try:
                r = self._http.request(method, url, timeout=self.timeout_s, allow_redirects=False, **kwargs)
            except requests.RequestException as exc:  # refused, reset, timed out
                if attempt < self.retries and not isinstance(exc, requests.Timeout):
                    continue
                raise StoreUnavailable(f"{method} {url}: {type(exc).__name__}") from exc
            if r.status_code in (401, 403):
                raise StoreAuthError(f"{method} {url}: {r.status_code} (check the platform credentials)")
            if r.status_code == 404:
                return None
            if r.status_code == 429 or r.status_code >= 500:
                wait = _retry_after(r.headers.get("Retry-After"), default=0.5 * (attempt + 1))
                if attempt < self.retries and wait <= self.max_wait_s:
                    log.info("%s %s: %s, retrying in %.1f s", method, url, r.status_code, wait)
                    self._sleep(wait)
                    continue
                raise StoreUnavailable(f"{method} {url}: {r.status_code}")
            if r.status_code >= 300:
                raise StoreUnavailable(f"{method} {url}: unexpected {r.status_code}")
            return r
        raise AssertionError("unreachable")  # the loop returns or raises

    def get_json(self, path_or_url: str, params: Optional[Dict[str, Any]] = None) -> Optional[Any]:
        r = self.request("GET", path_or_url, params=params)
        return None if r is None else _json(r)

    def send_json(self, method: str, path: str, body: Dict[str, Any]) -> Optional[Any]:
        r = self.request(method, path, json=body)
        return None if r is None else _json(r)

    def pages_by_link(self, path: str, params: Dict[str, Any], key: str) -> Iterator[List[Dict[str, Any]]]:
        """Pages of a list whose next page is named by the Link header (Shopify)."""
        url: Optional[str] = path
        for _ in range(MAX_PAGES):
            r = self.request("GET", url, params=params)
            if r is None:
                return
            yield _json(r).get(key, [])
            url, params = next_link(r.headers), None  # the next URL carries its own query
            if url is None:
                return
        raise StoreUnavailable(f"GET {path}: more than {MAX_PAGES} pages")

    def pages_by_number(self, path: str, params: Dict[str, Any]) -> Iterator[List[Dict[str, Any]]]:
        """Pages of a list paged by ?page=N, with the page count in X-WP-TotalPages (WooCommerce, WordPress)."""
        for page in range(1, MAX_PAGES + 1):
            r = self.request("GET", path, params={**params, "page": page})
            if r is None:
                return
            yield _json(r)
            if page >= int(r.headers.get("X-WP-TotalPages") or 1):
                return
        raise StoreUnavailable(f"GET {path}: more than {MAX_PAGES} pages")

    def pages_by_cursor(
        self, path: str, params: Dict[str, Any], items_key: str, cursor_key: str = "next_cursor", param: str = "cursor"
    ) -> Iterator[List[Dict[str, Any]]]:
        """Pages of a list whose body names the next page's cursor (marketplace open platforms: Shopee's
        next_cursor, TikTok Shop's next_page_token). An empty cursor or ``"more": false`` ends the list; an
        answer without the ``items_key`` list is StoreUnavailable."""
        query = dict(params)
        for _ in range(MAX_PAGES):
            body = self.get_json(path, query)
            if body is None:
                return
            items = body.get(items_key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise StoreUnavailable(f"GET {path}: the answer has no {items_key!r} list")
            yield items
            cursor = body.get(cursor_key)
            if not cursor or body.get("more") is False:
                return
            if cursor == query.get(param):  # a platform handing back the cursor we sent would loop forever
                raise StoreUnavailable(f"GET {path}: the cursor did not move")
            query[param] = cursor
        raise StoreUnavailable(f"GET {path}: more than {MAX_PAGES} pages")


def _retry_after(value: Optional[str], default: float) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:  # an HTTP date: we don't wait that long for a buyer anyway
        return float("inf")


def _json(r: requests.Response) -> Any:
    try:
        return r.json()
    except ValueError as exc:
        raise StoreUnavailable(f"{r.request.method} {r.url}: answered {r.status_code} with no JSON") from exc
