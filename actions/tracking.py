"""Carrier tracking client (requests), bounded so a buyer never waits more than 3 s."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import List, Optional

import requests

MAX_WAIT_S = 3.0


class CarrierUnavailable(Exception):
    """The carrier timed out, failed (5xx) or answered nonsense."""


@dataclass(frozen=True)
class TrackingEvent:
    time: str
    status: str
    location: str


@dataclass(frozen=True)
class Tracking:
    tracking_no: str
    status: str
    eta: Optional[str]
    events: List[TrackingEvent]


class CarrierClient:
    def __init__(self, base_url: str, api_key: str, timeout_s: float = 2.0, retries: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self._http = requests.Session()

    def track(self, tracking_no: str) -> Optional[Tracking]:
        """The carrier's events, or None if it does not know the number.

        Retries timeouts and 5xx while the overall budget (MAX_WAIT_S) lasts.
        """
        deadline = time.monotonic() + MAX_WAIT_S
        last_error = "no attempt"
        for _ in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0.05:
                break
            try:
                resp = self._http.get(
                    f"{self.base_url}/v1/tracking/{requests.utils.quote(tracking_no, safe='')}",
                    headers={"X-Api-Key": self.api_key},
                    timeout=min(self.timeout_s, left),
                )
            except requests.RequestException as exc:
                last_error = type(exc).__name__
                continue
            if resp.status_code == 404:
                return None
            if resp.status_code >= 500:
                last_error = f"HTTP {resp.status_code}"
                continue
            if resp.status_code != 200:
                raise CarrierUnavailable(f"HTTP {resp.status_code}")
            try:
                body = resp.json()
                return Tracking(
                    tracking_no=body["tracking_no"],
                    status=body["status"],
                    eta=body.get("eta"),
                    events=[TrackingEvent(e["time"], e["status"], e.get("location", "")) for e in body["events"]],
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise CarrierUnavailable(f"bad body: {exc}") from exc
        raise CarrierUnavailable(last_error)
