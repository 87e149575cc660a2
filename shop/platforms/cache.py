"""A short-lived cache for platforms that limit calls, which also remembers the last answer it had.

``fresh_s`` bounds how old an answer the bot gives as current; ``keep_s`` bounds how old a copy may be
given (with its date, ``as_of``) when the platform is down. Per process and bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Optional, Tuple, TypeVar

from shop.store import StoreUnavailable

T = TypeVar("T")


class LastKnownCache(Generic[T]):
    def __init__(self, fresh_s: float, keep_s: float = 7 * 86400, size: int = 5000,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.fresh_s, self.keep_s, self.size, self._clock = fresh_s, keep_s, size, clock
        self._items: "OrderedDict[Hashable, Tuple[float, T]]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> Tuple[T, Optional[float]]:
        """(value, None) when fresh or just loaded; (last known value, when it was fetched) when load fails
        with StoreUnavailable and a copy younger than keep_s exists; otherwise the error propagates."""
        now = self._clock()
        with self._lock:
            hit = self._items.get(key)
        if hit and now - hit[0] < self.fresh_s:
            return hit[1], None
        try:
            value = load()
        except StoreUnavailable:
            if hit and now - hit[0] < self.keep_s:
                return hit[1], hit[0]
            raise
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value, None

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)
