"""Erlang C: how many agents answer a share of chats within a wait, given their arrival rate and handle time.

The M/M/N queue (Poisson arrivals, exponential handle times, nobody gives up, first come first served) with
traffic A = arrivals per second x handle seconds, in Erlangs. The probability that a chat waits at all is

    C(N, A) = N B / (N - A (1 - B)),   B = Erlang B(N, A),   for N > A (else every chat waits: 1)

and the share answered within t seconds is SL = 1 - C exp(-(N - A) t / h); the mean wait is C h / (N - A).
Erlang B comes from its recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)): every step is a number in [0, 1],
so there is no A^N / N! to overflow however large the traffic (the textbook formula fails at N > 170).
"""

from __future__ import annotations

import math
from typing import Iterator, Optional, Tuple

SECONDS_PER_HOUR = 3600.0


def traffic(arrivals_per_h: float, handle_s: float) -> float:
    """The offered load in Erlangs: how many agents would be busy all the time on average."""
    return arrivals_per_h * handle_s / SECONDS_PER_HOUR


def _erlang_b_steps(traffic_erlangs: float) -> Iterator[Tuple[int, float]]:
    """(n, Erlang B with n servers) for n = 1, 2, 3, ..."""
    b, n = 1.0, 0
    while True:
        n += 1
        b = traffic_erlangs * b / (n + traffic_erlangs * b)
        yield n, b


def erlang_b(traffic_erlangs: float, servers: int) -> float:
    """The share of arrivals that find every one of `servers` busy when nobody may queue (the loss system)."""
    _check(traffic_erlangs, servers)
    if servers == 0:
        return 1.0
    for n, b in _erlang_b_steps(traffic_erlangs):
        if n == servers:
            return b
    raise AssertionError("unreachable")  # pragma: no cover


def _c_from_b(traffic_erlangs: float, servers: int, b: float) -> float:
    if servers <= traffic_erlangs:  # the queue grows without end: everyone waits
        return 1.0
    return servers * b / (servers - traffic_erlangs * (1.0 - b))


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """The probability that a chat waits at all (every agent busy when it arrives)."""
    _check(traffic_erlangs, agents)
    if traffic_erlangs == 0:
        return 0.0 if agents > 0 else 1.0
    if agents <= traffic_erlangs:
        return 1.0
    return _c_from_b(traffic_erlangs, agents, erlang_b(traffic_erlangs, agents))


def _service_level(a: float, agents: int, c: float, handle_s: float, within_s: float) -> float:
    if agents <= a:
        return 0.0
    return 1.0 - c * math.exp(-(agents - a) * within_s / handle_s)


def service_level(arrivals_per_h: float, handle_s: float, agents: int, within_s: float) -> float:
    """The share of chats answered within `within_s` seconds (0 when the agents cannot keep up)."""
    a = traffic(arrivals_per_h, handle_s)
    if a == 0:
        return 1.0 if agents > 0 else 0.0
    return _service_level(a, agents, erlang_c(a, agents), handle_s, within_s)


def average_speed_of_answer(arrivals_per_h: float, handle_s: float, agents: int) -> float:
    """The mean wait before an agent answers, in seconds, over all chats (inf when the agents cannot keep up)."""
    a = traffic(arrivals_per_h, handle_s)
    if a == 0:
        return 0.0 if agents > 0 else math.inf
    if agents <= a:
        return math.inf
    return erlang_c(a, agents) * handle_s / (agents - a)


def agents_needed(
    arrivals_per_h: float,
    handle_s: float,
    target_share: float,
    within_s: float,
    max_occupancy: Optional[float] = None,
    chats_per_agent: int = 1,
) -> int:
    """The fewest agents with whom at least target_share of chats are answered within within_s seconds.

    Each agent holds up to chats_per_agent chats at once, and each of those places is a server of the queue
    (handle_s is then the time a chat holds its place, as measured with agents who share their attention).
    The agents must keep up (servers > traffic), and with max_occupancy no server may be busy a larger share
    of the time. No arrivals: no agents."""
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1")
    if within_s < 0 or handle_s <= 0 or chats_per_agent < 1:
        raise ValueError("within_s must be >= 0, handle_s > 0 and chats_per_agent >= 1")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    a = traffic(arrivals_per_h, handle_s)
    _check(a, 0)
    if a == 0:
        return 0
    for servers, b in _erlang_b_steps(a):
        if servers % chats_per_agent or servers <= a:
            continue
        if max_occupancy is not None and a / servers > max_occupancy:
            continue
        if _service_level(a, servers, _c_from_b(a, servers, b), handle_s, within_s) >= target_share:
            return servers // chats_per_agent
    raise AssertionError("unreachable")  # pragma: no cover: the service level tends to 1 as servers grow


def _check(traffic_erlangs: float, servers: int) -> None:
    if not math.isfinite(traffic_erlangs) or traffic_erlangs < 0:
        raise ValueError(f"traffic must be a finite number >= 0, not {traffic_erlangs!r}")
    if servers < 0:
        raise ValueError(f"the number of agents must be >= 0, not {servers!r}")
