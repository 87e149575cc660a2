"""What /metrics says about the live desk, read from Redis when Prometheus scrapes.

Every helpdesk process answers the same figures, whichever of them Prometheus asks: nothing is kept in a process.
The gauges (the queue, the agents, the outboxes) are read from the live state; the counters (assignments and
every other transition, messages an outbox gave up on) are kept in Redis by the scripts that make those changes
(keys.EVENT_COUNTS, keys.OUTBOX_FAILED), so they count what every process did. They start again from 0 if Redis
loses its data, which Prometheus takes as a counter reset. The channels' own metrics (refusals, turn latency)
are per process: connectors/metrics.py. README "Metrics" lists every name.

    registry = CollectorRegistry(); registry.register(DeskCollector(lambda: read_live(redis, time.time())))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, Optional, Tuple

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from helpdesk import keys
from helpdesk.agents import STATUSES
from helpdesk.alert_webhook import OUTBOX as ALERT_WEBHOOK

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # Prometheus's text format, which every Prometheus reads
# how a chat came to an agent: the event kinds that give it one (keys.EVENT_COUNTS counts a transfer to an agent
# as transferred, one to a group as transferred_to_group)
ASSIGNMENT_KINDS = ("assigned", "claimed", "reassigned", "transferred")


@dataclass(frozen=True)
class OutboxFigures:
    pending: int  # messages not delivered yet (waiting, being sent or retried)
    failed: Optional[int]  # messages finally not delivered, since the outbox's first one (a counter; None: untold)


def outboxes(client: redis.Redis) -> Dict[str, OutboxFigures]:
    """Every channel's outbox (connectors/marketplace/outbox.py) by channel name."""
    failed = {channel: int(n) for channel, n in client.hgetall(keys.OUTBOX_FAILED).items()}
    channels = sorted(failed)
    with client.pipeline(transaction=False) as pipe:
        for channel in channels:
            pipe.zrange(keys.outbox_due(channel), 0, -1)
        conversations = pipe.execute()
    with client.pipeline(transaction=False) as pipe:
        for channel, convs in zip(channels, conversations, strict=True):
            for conv in convs:
                pipe.llen(keys.outbox_queue(channel, conv))
        lengths = iter(pipe.execute())
    return {
        channel: OutboxFigures(sum(next(lengths) for _ in convs), failed[channel])
        for channel, convs in zip(channels, conversations, strict=True)
    }


@dataclass(frozen=True)
class LiveFigures:
    """One look at the live state (a few pipelined reads, not one atomic snapshot: each figure is exact)."""

    waiting: Dict[int, int]  # queue priority -> chats waiting for an agent
    oldest_wait_s: float  # how long the longest-waiting chat has waited since its handoff (0: none waits)
    agents: Dict[str, int]  # online | away | offline -> agents
    assigned: int  # chats agents hold now
    resume_pending: int  # resolved chats whose bot Rasa has not taken back yet (the resume outbox)
    unrecorded: int  # events in the stream that the helpdesk has not copied into SQL yet
    events: Dict[str, int] = field(default_factory=dict)  # event kind -> emitted since Redis began (a counter)
    outboxes: Dict[str, OutboxFigures] = field(default_factory=dict)


def read_live(client: redis.Redis, now: float) -> LiveFigures:
    with client.pipeline(transaction=False) as pipe:
        pipe.zrange(keys.WAITING, 0, -1)
        pipe.zrange(keys.ROTATION, 0, -1)
        pipe.zcard(keys.RESUME)
        pipe.xlen(keys.EVENTS)
        pipe.hgetall(keys.EVENT_COUNTS)
        pipe.llen(keys.ALERT_OUTBOX)
        pipe.hget(keys.OUTBOX_FAILED, ALERT_WEBHOOK)
        waiting_ids, agent_ids, resume, unrecorded, events, alerts_pending, alerts_failed = pipe.execute()
    with client.pipeline(transaction=False) as pipe:
        for cid in waiting_ids:
            pipe.hmget(keys.conversation(cid), "priority", "created_at")
        for aid in agent_ids:
            pipe.hget(keys.agent(aid), "status")
            pipe.scard(keys.chats(aid))
        answers = pipe.execute()
    chats, people = answers[: len(waiting_ids)], answers[len(waiting_ids) :]
    waiting: Dict[int, int] = {}
    oldest = 0.0
    for priority, created_at in chats:
        if created_at is None:  # gone between the two reads (taken or resolved just now)
            continue
        waiting[int(priority or 0)] = waiting.get(int(priority or 0), 0) + 1
        oldest = max(oldest, now - float(created_at))
    agents = dict.fromkeys(STATUSES, 0)
    for status, _ in zip(people[::2], people[1::2], strict=True):
        agents[status or "offline"] = agents.get(status or "offline", 0) + 1
    boxes = outboxes(client)
    boxes[ALERT_WEBHOOK] = OutboxFigures(alerts_pending, None if alerts_failed is None else int(alerts_failed))
    counts = {kind: int(n) for kind, n in events.items()}
    return LiveFigures(waiting, oldest, agents, sum(people[1::2]), resume, unrecorded, counts, boxes)


def outbox_metrics(figures: Dict[str, OutboxFigures]) -> Tuple[Metric, Metric]:
    """kefu_outbox_pending_messages and kefu_outbox_failed_total, by outbox (the helpdesk and the channels)."""
    pending = GaugeMetricFamily("kefu_outbox_pending_messages", "Messages not delivered yet, by outbox (a channel's "
                                "name, or alert_webhook)", labels=["outbox"])  # fmt: skip
    failed = CounterMetricFamily("kefu_outbox_failed", "Messages finally not delivered, by outbox", labels=["outbox"])
    for name, f in sorted(figures.items()):
        pending.add_metric([name], f.pending)
        if f.failed is not None:
            failed.add_metric([name], f.failed)
    return pending, failed


class DeskCollector:
    """A prometheus_client collector: each scrape calls read()."""

    def __init__(self, read: Callable[[], LiveFigures]) -> None:
        self.read = read

    def describe(self) -> Iterator[Metric]:
        return iter(())  # a registry asks at register(): Redis is read only when Prometheus scrapes

    def collect(self) -> Iterator[Metric]:
        live = self.read()
        waiting = GaugeMetricFamily("kefu_queue_waiting", "Chats waiting for an agent, by queue priority",
                                    labels=["priority"])  # fmt: skip
        for priority, n in sorted(live.waiting.items()):
            waiting.add_metric([str(priority)], n)
        yield waiting
        yield GaugeMetricFamily("kefu_queue_oldest_wait_seconds",
                                "Seconds the longest-waiting chat has waited since its handoff (0: none waits)",
                                value=round(live.oldest_wait_s, 3))  # fmt: skip
        yield GaugeMetricFamily("kefu_queue_assigned", "Chats agents hold now", value=live.assigned)
        agents = GaugeMetricFamily("kefu_agents", "Agents by status (online, away, offline)", labels=["status"])
        for status, n in sorted(live.agents.items()):
            agents.add_metric([status], n)
        yield agents
        taken = CounterMetricFamily("kefu_assignments", "Chats given to an agent, by how: assigned (automatically), "
                                    "claimed, reassigned (by the reminder timer), transferred (to an agent)",
                                    labels=["how"])  # fmt: skip
        for how in ASSIGNMENT_KINDS:
            taken.add_metric([how], live.events.get(how, 0))
        yield taken
        events = CounterMetricFamily("kefu_handoff_events", "Handoff transitions by kind (the event stream's kinds; "
                                     "a transfer to a group is transferred_to_group)", labels=["kind"])  # fmt: skip
        for kind, n in sorted(live.events.items()):
            events.add_metric([kind], n)
        yield events
        yield from outbox_metrics(live.outboxes)
        yield GaugeMetricFamily("kefu_resume_pending", "Resolved chats whose bot Rasa has not taken back yet",
                                value=live.resume_pending)  # fmt: skip
        yield GaugeMetricFamily("kefu_events_unrecorded", "Handoff events in Redis not yet copied into SQL",
                                value=live.unrecorded)  # fmt: skip
