"""Seed the demo's helpdesk record with a few weeks of past chats, so that the reports, the QA report and the
staffing forecast have something to show in `make demo`.

    python -m scripts.seed_history              # 4 weeks ending now, unless the record has them already
    python -m scripts.seed_history --reset      # remove the seeded chats (and their orders), then seed again

The history is simulated, not written row by row: buyers arrive along an hour-of-week curve, a third of the
conversations reach a person, the shop.yml agents work shifts with their own pace and capacity, and each chat goes
through the same transitions the Lua scripts make (assigned, first reply, buyer waits and answers, reminders after
timers.remind_after_s, a reassignment after reassign_after_s more, resolved, rated). The stream entries those
scripts would have emitted are written by helpdesk.record.events.record_events, the code that copies the live
stream, so the rows are the ones a real history leaves. Orders placed after some chats go into the demo shop's
database (conversion), and the quality check's findings into qa_findings.

Everything seeded is recognisable, so --reset removes only it: conversation ids start with "history-" (a
marketplace one with "marketplace:history-"), order numbers are A60001-A69999. Deterministic for a given `now`.
Never in production (KEFU_ENV=production): the chats are made up.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from helpdesk.record.events import record_events
from helpdesk.record.models import Conversation, Handoff, HandoffEvent, QaFinding, open_record
from scripts.seed_shop import _add_order  # the same order rows (items, payment, shipment) as the demo shop's
from shop.config import ShopConfig, load_shop_config
from shop.db import close, make_engine
from shop.models import Customer, Order, OrderItem, Payment, Product, ReturnRequest, Shipment
from shop.settings import Settings

SEED = 20261201
MARK = "history-"  # every seeded conversation id starts with it, after "marketplace:" on the marketplace
ORDER_RANGE = (60001, 69999)  # the seeded orders' numbers, A60001 ...
# the seeded events' stream ids count from here within a millisecond: Redis starts at 0 and would need a million
# entries in one millisecond to reach it, so a seeded id never equals a live event's (the recorder skips ids it has)
SEQ_FROM = 1_000_000
DEMO_BUYERS = ("mkt-buyer-1001", "mkt-buyer-1002")  # seed_shop's Lily and James keep the orders the README lists
HOUR = 3600.0
DAY = 86400.0

# conversations per hour of the day (local time), relative: quiet nights, a lunch bump, the evening peak
HOUR_SHAPE = (0.8, 0.3, 0.2, 0.1, 0.1, 0.2, 0.3, 0.6, 2.0, 3.4, 4.1, 4.5,
              4.8, 4.3, 4.0, 4.0, 4.1, 4.3, 4.6, 5.3, 6.2, 6.6, 5.2, 2.8)  # fmt: skip
DAY_SHAPE = (1.0, 0.95, 0.95, 1.0, 1.1, 1.4, 1.3)  # Monday .. Sunday: busier weekends
PER_DAY = 140  # conversations on an ordinary Monday


@dataclass(frozen=True)
class Topic:
    share: float  # of the conversations whose first question is about it
    handoff: float  # chance that the conversation reaches a person
    reasons: Dict[str, int]  # why, weighted
    converts: float  # chance that a known buyer orders within a day


# the category a conversation starts with ("": not understood), as connectors/helpdesk_broker.py records it
TOPICS = {
    "order": Topic(0.34, 0.25, {"ownership_failed": 3, "change_address": 3, "requested": 4}, 0.12),
    "product": Topic(0.25, 0.14, {"requested": 2, "bot_failed": 1}, 0.30),
    "returns": Topic(0.14, 0.36, {"requested": 3, "bot_failed": 1}, 0.06),
    "payment": Topic(0.09, 0.28, {"requested": 2, "bot_failed": 1}, 0.35),
    "complaint": Topic(0.06, 0.95, {"complaint": 1}, 0.03),
    "human": Topic(0.05, 1.0, {"requested": 1}, 0.12),
    "": Topic(0.07, 0.55, {"bot_failed": 1}, 0.08),
}
# the handoff's category for each reason, as actions/ hand off
REASON_CATEGORY = {"complaint": "complaint", "requested": "human", "bot_failed": "other",
                   "ownership_failed": "order", "change_address": "order"}  # fmt: skip
# channel: (share, share in Chinese, share by a shop customer it vouches for, by a buyer it vouches for who never
# ordered: a marketplace knows every buyer; the widget only one logged in to the shop)
CHANNELS = {"webchat": (0.55, 0.3, 0.08, 0.0), "marketplace": (0.35, 0.6, 0.35, 0.65), "rest": (0.10, 0.1, 0.0, 0.0)}
BROWSERS = 2000  # marketplace buyers who are no customers of the shop (yet): mkt-buyer-70000 ...
# what the bot saw (the handoff's summary), by reason
SUMMARIES = {
    "complaint": {"en": "[complaint] the dress arrived ripped, this is unacceptable",
                  "zh": "[complaint] 衣服破了个洞,太差了"},
    "requested": {"en": "[request_human] can I talk to a real person", "zh": "[request_human] 转人工"},
    "bot_failed": {"en": "[nlu_fallback] it says delivered but the box was empty??",
                   "zh": "[nlu_fallback] 快递显示签收了但我没收到"},
    "ownership_failed": {"en": "[inform_email] that is my email, why does it not work",
                         "zh": "[inform_phone] 就是这个手机号啊"},
    "change_address": {"en": "[change_address] I need to ship to my office instead",
                       "zh": "[change_address] 我要改一下收货地址"},
}  # fmt: skip


@dataclass(frozen=True)
class Pace:
    """How an agent works."""

    first_s: float  # median first reply after getting the chat (lognormal)
    reply_s: float  # median answer to the buyer's later messages
    rating: float  # mean rating of a chat answered promptly
    qa_rate: float  # share of their messages the quality check flags


# the shop.yml agents in order get these paces and shifts (cycling): amy quick, ben steady, chen slow
PACES = (Pace(14, 18, 4.7, 0.001), Pace(32, 40, 4.45, 0.008), Pace(70, 65, 4.2, 0.005))
# weekday (0 = Monday) -> (from hour, to hour), local time: 08-24 covered every day, nights wait for the morning
SHIFTS = (
    {0: (8, 17), 1: (8, 17), 2: (8, 17), 3: (8, 17), 4: (8, 17), 5: (8, 17)},
    {0: (15, 24), 1: (15, 24), 2: (15, 24), 3: (15, 24), 5: (15, 24), 6: (15, 24)},
    {1: (11, 20), 2: (11, 20), 3: (11, 20), 4: (15, 24), 5: (12, 21), 6: (8, 17)},
)
# days after the start of a carrier's bad patch: three times the complaints, slower agents, unhappier buyers
BAD_PATCH = (9, 12)
RATED = 0.62  # share of resolved chats the buyer rates

# what an agent wrote that the quality check flagged, by rule (banned and off-platform words: shop.yml's lists)
EXCERPTS = {
    "return_window": {"en": ["30 days", "within 14 days"], "zh": ["30天", "15天内"]},
    "refund_days": {"en": ["refund in 1 day", "back tomorrow"], "zh": ["1天到账", "当天退款"]},
    "return_shipping": {"en": ["free return shipping", "we pay the return postage"], "zh": ["免费退货", "运费我们出"]},
    "coupon": {"en": ["SAVE50", "SUMMER20"], "zh": ["SAVE50", "SUMMER20"]},
    "amount_over_total": {"en": ["refund $120"], "zh": ["退款200元"]},
}
RULE_WEIGHTS = {"return_window": 4, "coupon": 3, "refund_days": 3, "return_shipping": 3, "banned_words": 1,
                "off_platform": 2, "amount_over_total": 1}  # fmt: skip


@dataclass
class Buyer:
    channel_id: str
    vip: bool
    orders: List[Tuple[float, str]]  # (created, number), oldest first


@dataclass
class Visit:
    """One buyer session."""

    sender: str
    start: float
    channel: str
    language: str
    topic: str
    buyer: Optional[Buyer]
    order_number: str = ""
    chat: Optional["Chat"] = None
    record: Optional["Emitted"] = None  # its "conversation" event


@dataclass
class Chat:
    """One handoff on its way through the queue."""

    visit: Visit
    created: float
    reason: str
    priority: int
    agent: str = ""
    queued: Optional["Emitted"] = None
    first_reply: Optional[float] = None
    resolved: Optional[float] = None
    reassigned: bool = False
    qa: List[QaFinding] = field(default_factory=list)


@dataclass
class Emitted:
    """A stream entry as a Lua script would have written it."""

    at: float
    order: int
    kind: str
    sender: str
    agent: str = ""
    detail: Dict = field(default_factory=dict)
    chat: Optional[Chat] = None
    visit: Optional[Visit] = None
    stream_id: str = ""


def seeded(column) -> ColumnElement:
    return or_(column.like(f"{MARK}%"), column.like(f"marketplace:{MARK}%"))


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def poisson(rng: random.Random, mean: float) -> int:
    limit, n, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        n += 1
        p *= rng.random()
    return n


def pick(rng: random.Random, weights: Dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Simulation:
    """The queue of the helpdesk, round robin, over the shop's agents and their shifts."""

    def __init__(self, rng: random.Random, cfg: ShopConfig, start: float, now: float) -> None:
        self.rng, self.cfg, self.start, self.now = rng, cfg, start, now
        self.tz = ZoneInfo(cfg.shop.timezone)
        self.agents = [a for a in cfg.helpdesk.agents if a.capacity > 0]
        self.pace = {a.id: PACES[i % len(PACES)] for i, a in enumerate(self.agents)}
        self.capacity = {a.id: a.capacity for a in self.agents}
        self.online = {a.id: False for a in self.agents}
        self.chats: Dict[str, set] = {a.id: set() for a in self.agents}
        self.rotation = {a.id: i for i, a in enumerate(self.agents)}  # least recently assigned first
        self.turns = itertools.count(len(self.agents))
        self.remind, self.reassign = cfg.timers.remind_after_s, cfg.timers.reassign_after_s
        self.heap: List[Tuple[float, int, str, object]] = []
        self.waiting: List[Chat] = []
        self.out: List[Emitted] = []
        self.order = itertools.count()
        self.visits: List[Visit] = []

    # -- time ---------------------------------------------------------------------------------------
    def day_of(self, at: float) -> int:
        return int((at - self.start) // DAY)

    def in_bad_patch(self, at: float) -> bool:
        return BAD_PATCH[0] <= self.day_of(at) < BAD_PATCH[1]

    def local_hours(self) -> List[datetime]:
        """Every local hour from the start to now."""
        hour = datetime.fromtimestamp(self.start, self.tz).replace(minute=0, second=0, microsecond=0)
        hours = []
        while hour.timestamp() < self.now:
            hours.append(hour)
            hour = datetime.fromtimestamp(hour.timestamp() + HOUR, self.tz)
        return hours

    def push(self, at: float, kind: str, data: object) -> None:
        heapq.heappush(self.heap, (at, next(self.order), kind, data))

    def emit(self, at: float, kind: str, sender: str, **kw) -> Emitted:
        event = Emitted(round(at, 3), next(self.order), kind, sender, **kw)
        self.out.append(event)
        return event

    # -- the buyers' side ---------------------------------------------------------------------------
    def plan(self, buyers: Sequence[Buyer]) -> None:
        browsers = [Buyer(f"mkt-buyer-{70000 + i}", False, []) for i in range(BROWSERS if buyers else 0)]
        weights = [1 / (rank + 1) ** 0.7 for rank in range(len(buyers))]  # a few buyers come back often
        total = sum(HOUR_SHAPE)
        for hour in self.local_hours():
            mean = PER_DAY * DAY_SHAPE[hour.weekday()] * HOUR_SHAPE[hour.hour] / total
            for _ in range(poisson(self.rng, mean)):
                at = hour.timestamp() + self.rng.random() * HOUR
                if self.start <= at < self.now:
                    self.visit(at, buyers, weights, browsers)
        days = math.ceil((self.now - self.start) / DAY) + 1
        first_day = datetime.fromtimestamp(self.start, self.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        for d in range(days):
            day = (first_day + timedelta(days=d)).replace(tzinfo=None)
            for i, agent in enumerate(self.agents):
                hours = SHIFTS[i % len(SHIFTS)].get(day.weekday())
                if hours is None:
                    continue
                on = (day + timedelta(hours=hours[0])).replace(tzinfo=self.tz).timestamp()
                off = (day + timedelta(hours=hours[1])).replace(tzinfo=self.tz).timestamp()
                self.push(on, "on", agent.id)
                self.push(off, "off", agent.id)

    def visit(self, at: float, buyers: Sequence[Buyer], weights: List[float], browsers: Sequence[Buyer]) -> None:
        rng = self.rng
        n = len(self.visits)
        channel = pick(rng, {name: c[0] for name, c in CHANNELS.items()})
        _, zh_share, customers, others = CHANNELS[channel]
        draw, buyer = rng.random(), None
        if buyers and draw < customers:
            buyer = rng.choices(buyers, weights=weights)[0]
        elif browsers and draw < customers + others:
            buyer = rng.choice(browsers)
        sender = f"marketplace:{MARK}{n:05d}" if channel == "marketplace" else f"{MARK}{n:05d}"
        worse = 3 if self.in_bad_patch(at) else 1
        topic = pick(rng, {name: t.share * (worse if name == "complaint" else 1) for name, t in TOPICS.items()})
        v = Visit(sender, at, channel, "zh" if rng.random() < zh_share else "en", topic, buyer)
        self.visits.append(v)
        # a greeting first: the category is learned a little later
        first_category = "" if rng.random() < 0.2 else topic
        v.record = self.emit(at, "conversation", sender, visit=v, detail={
            "channel": channel, "language": v.language, "category": first_category,
            "customer": buyer.channel_id if buyer else "", "order_number": ""})  # fmt: skip
        learned: Dict[str, str] = {}
        if first_category != topic:
            learned["category"] = topic
        known_orders = [number for created, number in (buyer.orders if buyer else []) if created < at]
        proven_at = at + rng.uniform(20, 120)
        if known_orders and topic in ("order", "returns", "payment", "complaint") and rng.random() < 0.7:
            v.order_number = learned["order_number"] = rng.choice(known_orders[-3:])
        if learned and proven_at < self.now:
            self.emit(proven_at, "conversation_update", sender, visit=v, detail=learned)
        if rng.random() >= TOPICS[topic].handoff:
            return
        reason = pick(rng, TOPICS[topic].reasons)
        created = at + (rng.uniform(15, 120) if reason == "complaint" else rng.uniform(60, 420))
        priority = self.cfg.handoff.priority
        level = priority.get("default", 0) + (priority.get("complaint", 0) if reason == "complaint" else 0)
        level += priority.get("vip", 0) if buyer and buyer.vip else 0
        v.chat = Chat(v, created, reason, level)
        if v.order_number and proven_at > created:
            v.order_number = ""  # proven after the handoff: not in its record
        self.push(created, "arrive", v.chat)

    # -- the helpdesk's side ------------------------------------------------------------------------
    def run(self) -> None:
        while self.heap:
            at, _, kind, data = heapq.heappop(self.heap)
            if kind == "arrive":
                self.enqueue(data, at)
            elif kind == "on":
                self.online[data] = True
            elif kind == "off":
                self.online[data] = False  # no new chats; the open ones are finished first
            elif kind == "release":
                agent, chat = data
                self.chats[agent].discard(chat.visit.sender)
            elif kind == "reassign":
                self.move(data, at)
            self.dispatch(at)

    def enqueue(self, chat: Chat, at: float) -> None:
        v, at = chat.visit, round(at, 3)  # as every event's time
        record = {
            "conversation_id": v.sender, "channel": v.channel, "customer": v.buyer.channel_id if v.buyer else "",
            "language": v.language, "category": REASON_CATEGORY[chat.reason], "priority": str(chat.priority),
            "vip": "1" if v.buyer and v.buyer.vip else "0", "reason": chat.reason,
            "order_number": v.order_number, "summary": SUMMARIES[chat.reason][v.language], "created_at": repr(at),
        }  # fmt: skip
        chat.queued = self.emit(at, "queued", v.sender, chat=chat, detail=record)
        self.waiting.append(chat)

    def free_agent(self, exclude: str = "") -> Optional[str]:
        free = [a for a in self.rotation if self.online[a] and a != exclude
                and len(self.chats[a]) < self.capacity[a]]  # fmt: skip
        return min(free, key=self.rotation.__getitem__) if free else None

    def dispatch(self, at: float) -> None:
        self.waiting.sort(key=lambda c: (-c.priority, c.created))
        while self.waiting:
            agent = self.free_agent()
            if agent is None:
                return
            self.take(self.waiting.pop(0), agent, at)

    def take(self, chat: Chat, agent: str, at: float, before: str = "") -> None:
        sender = chat.visit.sender
        self.chats[agent].add(sender)
        self.rotation[agent] = next(self.turns)
        chat.agent = agent
        if before:
            self.emit(at, "reassigned", sender, agent=agent, chat=chat, detail={"from": before})
        else:
            self.emit(at, "assigned", sender, agent=agent, chat=chat)
        wait = self.slowed(lognormal(self.rng, self.pace[agent].first_s, 0.9), at)
        if before:
            wait = min(wait, self.remind - 10)  # the second agent answers before their own reminder
        if wait > self.remind:
            self.emit(at + self.remind, "reminded", sender, agent=agent, chat=chat)
        if wait > self.remind + self.reassign:
            self.push(at + self.remind + self.reassign, "reassign", chat)
            return
        self.converse(chat, agent, at + wait)

    def move(self, chat: Chat, at: float) -> None:
        """The reassignment timer: to another agent with room, else the owner answers after all."""
        owner = chat.agent
        to = self.free_agent(exclude=owner)
        if to is None:
            self.emit(at, "reassign_pending", chat.visit.sender, agent=owner, chat=chat)
            self.converse(chat, owner, at + self.rng.uniform(5, self.reassign - 10))
            return
        self.chats[owner].discard(chat.visit.sender)
        chat.reassigned = True
        self.take(chat, to, at, before=owner)

    def slowed(self, seconds: float, at: float) -> float:
        return seconds * (1.6 if self.in_bad_patch(at) else 1.0)

    def converse(self, chat: Chat, agent: str, first: float) -> None:
        """From the agent's first answer to the rating."""
        rng, sender, pace = self.rng, chat.visit.sender, self.pace[agent]
        chat.first_reply = first
        self.emit(first, "first_reply", sender, agent=agent, chat=chat)
        last = self.message(chat, agent, first)
        for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 4, 5))):
            wrote = last + rng.uniform(15, 150)
            self.emit(wrote, "buyer_waiting", sender, agent=agent, chat=chat)
            # later waits stay under the reassignment timer: a chat that far along is rarely taken away
            wait = min(self.slowed(lognormal(rng, pace.reply_s, 0.8), wrote), self.remind + self.reassign - 10)
            if wait > self.remind:
                self.emit(wrote + self.remind, "reminded", sender, agent=agent, chat=chat)
            self.emit(wrote + wait, "replied", sender, agent=agent, chat=chat)
            last = self.message(chat, agent, wrote + wait)
        chat.resolved = last + rng.uniform(20, 240)
        self.emit(chat.resolved, "resolved", sender, agent=agent, chat=chat, detail={"by": agent})
        self.push(chat.resolved, "release", (agent, chat))
        if rng.random() < RATED:
            self.emit(chat.resolved + rng.uniform(10, 300), "rating", sender, agent=agent, chat=chat,
                      detail={"rating": self.rating(chat, pace)})  # fmt: skip

    def message(self, chat: Chat, agent: str, at: float) -> float:
        """An agent's message (sometimes two in a row); returns when the last went out."""
        self.emit(at, "message", chat.visit.sender, agent=agent, chat=chat)
        self.flag(chat, agent, at)
        if self.rng.random() < 0.3:
            at += self.rng.uniform(5, 40)
            self.emit(at, "message", chat.visit.sender, agent=agent, chat=chat)
            self.flag(chat, agent, at)
        return at

    def rating(self, chat: Chat, pace: Pace) -> int:
        frt = (chat.first_reply or chat.created) - chat.created
        mean = pace.rating - (0.3 if frt > 120 else 0) - (0.7 if frt > 600 else 0) - (0.8 if frt > 3600 else 0)
        mean -= 0.8 if self.in_bad_patch(chat.created) else 0
        mean -= 0.6 if chat.reason == "complaint" else 0
        return max(1, min(5, round(self.rng.gauss(mean, 0.75))))

    def flag(self, chat: Chat, agent: str, at: float) -> None:
        """Now and then the quality check flags a message: a warned one went out, a blocked one was rewritten."""
        rng, quality = self.rng, self.cfg.quality
        if rng.random() >= self.pace[agent].qa_rate:
            return
        off_platform_here = not quality.off_platform_channels or chat.visit.channel in quality.off_platform_channels
        actions = dict(quality.rules)  # rule -> block | warn | off
        rules = {rule: RULE_WEIGHTS.get(rule, 1) for rule, action in actions.items()
                 if action != "off" and (rule != "off_platform" or off_platform_here)}  # fmt: skip
        if not rules:
            return
        rule = pick(rng, rules)
        action = actions[rule]
        lang = chat.visit.language
        words = {"banned_words": quality.banned_words, "off_platform": quality.off_platform_words}.get(rule)
        if words is not None:
            fitting = [w for w in words if (ord(w[0]) > 0x2E80) == (lang == "zh")] or list(words) or [""]
            excerpt = rng.choice(fitting)
        else:
            excerpt = rng.choice(EXCERPTS.get(rule, {}).get(lang) or [""])
        found_at = at - rng.uniform(5, 60) if action == "block" else at  # blocked: the first try, before this one
        chat.qa.append(QaFinding(at=round(found_at, 3), agent=agent, conversation_id=chat.visit.sender, rule=rule,
                                 action=action, excerpt=excerpt))  # fmt: skip

    # -- the stream ---------------------------------------------------------------------------------
    def entries(self) -> List[Tuple[str, Dict[str, str]]]:
        """The stream entries of every finished conversation, in order, with Redis-style ids ("<ms>-<seq>", the seq
        from SEQ_FROM). A handoff still open now is left out with its conversation: nothing seeded is live."""
        dropped = {id(v) for v in self.visits if v.chat is not None and (v.chat.resolved or math.inf) > self.now}
        kept = [e for e in self.out if e.at <= self.now and id(e.visit or e.chat.visit) not in dropped]
        kept.sort(key=lambda e: (e.at, e.order))
        last_ms, seq = -1, 0
        for e in kept:
            ms = int(e.at * 1000)
            if ms <= last_ms:
                ms, seq = last_ms, seq + 1
            else:
                seq = 0
            last_ms = ms
            e.stream_id = f"{ms}-{SEQ_FROM + seq}"
        entries = []
        for e in kept:
            detail = dict(e.detail)
            if e.kind == "conversation_update":
                detail["id"] = e.visit.record.stream_id
            handoff = e.chat.queued.stream_id if e.chat is not None and e.kind != "queued" else ""
            entries.append((e.stream_id, {"kind": e.kind, "conversation_id": e.sender, "handoff_id": handoff,
                                          "agent": e.agent, "at": repr(e.at),
                                          "detail": json.dumps(detail, ensure_ascii=False)}))  # fmt: skip
        self.kept = [v for v in self.visits if id(v) not in dropped]
        return entries

    def findings(self) -> List[QaFinding]:
        return [f for v in self.kept if v.chat for f in v.chat.qa if f.at <= self.now]


# -- the shop's side ----------------------------------------------------------------------------------------
def shop_buyers(shop_url: Optional[str], cfg: ShopConfig) -> List[Buyer]:
    """The demo shop's buyers a channel can vouch for, with their orders; none for a shop on another platform
    (its buyers live there, and the conversion figure then has nobody to count)."""
    if not shop_url or cfg.store.adapter != "kefu_sql":
        return []
    engine = make_engine(shop_url)
    try:
        with Session(engine) as s:
            customers = s.scalars(select(Customer).where(Customer.channel_id.is_not(None),
                                                         Customer.channel_id.not_in(DEMO_BUYERS))
                                  .order_by(Customer.id)).all()  # fmt: skip
            orders: Dict[int, List[Tuple[float, str]]] = {}
            for customer_id, number, created in s.execute(
                select(Order.customer_id, Order.number, Order.created_at).order_by(Order.created_at)
            ):
                if not is_history_order(number):
                    orders.setdefault(customer_id, []).append((utc(created), number))
            return [Buyer(c.channel_id, c.vip, orders.get(c.id, [])) for c in customers]
    finally:
        engine.dispose()


def utc(moment: datetime) -> float:
    """A shop datetime (naive UTC) as Unix seconds."""
    return (moment - datetime(1970, 1, 1)).total_seconds()


def is_history_order(number: str) -> bool:
    return number[1:].isdigit() and ORDER_RANGE[0] <= int(number[1:]) <= ORDER_RANGE[1]


def seed_orders(record: sessionmaker, shop_url: str, cfg: ShopConfig, now: float) -> int:
    """Orders by the seeded conversations' buyers, most within reports.conversion_hours of the chat (a
    conversion), a few later; none if the shop has them already. Read from the record, so a shop made again
    (make seed) gets them back on the next start."""
    if cfg.store.adapter != "kefu_sql":
        return 0
    with record() as session:
        rows = session.execute(
            select(Conversation.conversation_id, Conversation.started_at, Handoff.resolved_at, Conversation.category,
                   Conversation.customer, Handoff.rating)
            .outerjoin(Handoff, Handoff.id == Conversation.handoff_id)
            .where(seeded(Conversation.conversation_id), Conversation.customer != "")
            .order_by(Conversation.started_at)
        ).all()  # fmt: skip
    window = cfg.reports.conversion_hours * HOUR
    planned: List[Tuple[float, str]] = []
    for cid, started, resolved, category, customer, rating in rows:
        after = resolved or started  # the chat is over: the reports count orders from then
        rng = random.Random(f"{SEED}:{cid}")  # the same orders for the same conversation, in any run
        chance = TOPICS.get(category, TOPICS[""]).converts
        chance *= 1.3 if rating is not None and rating >= 4 else 0.3 if rating is not None and rating <= 2 else 1
        draw = rng.random()
        if draw < chance:
            at = after + rng.uniform(0.02, 0.95) * window
        elif draw < chance + 0.04:
            at = after + window + rng.uniform(2 * HOUR, 2 * DAY)  # came back later: not a conversion
        else:
            continue
        if at < now:
            planned.append((at, customer))
    planned.sort()
    engine = make_engine(shop_url)
    try:
        with Session(engine) as s, s.begin():
            if any(is_history_order(n) for n in s.scalars(select(Order.number).where(Order.number >= "A60000"))):
                return 0
            products = s.scalars(select(Product).order_by(Product.id)).all()
            customers = {c.channel_id: c for c in s.scalars(select(Customer).where(Customer.channel_id.is_not(None)))}
            now_utc = datetime.utcfromtimestamp(now)
            added = 0
            for i, (at, channel_id) in enumerate(planned[: ORDER_RANGE[1] - ORDER_RANGE[0] + 1]):
                customer = customers.get(channel_id)
                if customer is None or not products:
                    continue
                rng = random.Random(f"{SEED}:order:{i}")
                product = rng.choice(products)
                age = now - at
                status = "paid" if age < DAY else "shipped" if age < 4 * DAY else "delivered"
                _add_order(s, number=f"A{ORDER_RANGE[0] + i}", customer=customer, product=product, status=status,
                           created=datetime.utcfromtimestamp(at).replace(microsecond=0), now=now_utc,
                           size=rng.choice(list(product.size_chart)), colour=rng.choice(product.colours))  # fmt: skip
                added += 1
            return added
    finally:
        engine.dispose()


# -- seeding and reseeding ----------------------------------------------------------------------------------
def history_start(cfg: ShopConfig, now: float, weeks: int) -> float:
    """Local midnight `weeks` weeks before today: whole days, as the reports and the staffing forecast count them."""
    tz = ZoneInfo(cfg.shop.timezone)
    first = datetime.fromtimestamp(now, tz).date() - timedelta(days=7 * weeks)
    return datetime.combine(first, datetime.min.time(), tz).timestamp()


def has_history(record: sessionmaker) -> bool:
    with record() as session:
        return session.scalar(select(Conversation.id).where(seeded(Conversation.conversation_id)).limit(1)) is not None


def seed_history(record: sessionmaker, cfg: ShopConfig, *, now: Optional[float] = None, weeks: int = 4,
                 shop_url: Optional[str] = None) -> Dict[str, int]:  # fmt: skip
    """Seed `weeks` of past chats ending at `now` into the record (and their orders into the shop at shop_url),
    unless the record has them already; returns how many rows of each kind it added."""
    now = time.time() if now is None else now
    added = {"conversations": 0, "handoffs": 0, "events": 0, "qa_findings": 0, "orders": 0}
    if not has_history(record):
        sim = Simulation(random.Random(SEED), cfg, history_start(cfg, now, weeks), now)
        sim.plan(shop_buyers(shop_url, cfg))
        sim.run()
        entries = sim.entries()
        for i in range(0, len(entries), 5000):
            with record.begin() as session:
                added["events"] += record_events(session, entries[i : i + 5000])
        findings = sim.findings()
        with record.begin() as session:
            session.add_all(findings)
        added["conversations"] = len(sim.kept)
        added["handoffs"] = sum(1 for v in sim.kept if v.chat)
        added["qa_findings"] = len(findings)
    if shop_url:
        added["orders"] = seed_orders(record, shop_url, cfg, now)
    return added


def remove_history(record: sessionmaker, shop_url: Optional[str]) -> None:
    """Delete what seed_history added (and only that)."""
    with record.begin() as session:
        for model in (HandoffEvent, Handoff, Conversation, QaFinding):
            column = model.__table__.c.conversation_id
            session.execute(delete(model).where(seeded(column)).execution_options(synchronize_session=False))
    if not shop_url:
        return
    engine = make_engine(shop_url)
    try:
        with Session(engine) as s, s.begin():
            ids = [i for i, n in s.execute(select(Order.id, Order.number)) if is_history_order(n)]
            for model in (OrderItem, Payment, Shipment, ReturnRequest):
                s.execute(delete(model).where(model.order_id.in_(ids)).execution_options(synchronize_session=False))
            s.execute(delete(Order).where(Order.id.in_(ids)).execution_options(synchronize_session=False))
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=4, help="how many weeks of history, ending now (default 4)")
    ap.add_argument("--reset", action="store_true", help="remove the seeded history first, then seed it again")
    ap.add_argument("--record", default=None, help="the helpdesk record's URL (default: HELPDESK_DATABASE_URL)")
    ap.add_argument("--shop", default=None, help="the shop database's URL (default: DATABASE_URL)")
    args = ap.parse_args()
    settings = Settings.from_env()
    if settings.production:
        raise SystemExit("seed_history writes made-up chats: it does not run with KEFU_ENV=production")
    if not 1 <= args.weeks <= 52:
        raise SystemExit("--weeks must be between 1 and 52")
    cfg = load_shop_config(settings.shop_config)
    record = open_record(args.record or settings.helpdesk_database_url)
    shop_url = args.shop or settings.database_url
    try:
        if args.reset:
            remove_history(record, shop_url)
        added = seed_history(record, cfg, weeks=args.weeks, shop_url=shop_url)
    finally:
        close(record)
    if any(added.values()):
        print("past chats seeded: " + ", ".join(f"{n} {what}" for what, n in added.items()))
    else:
        print("past chats: already seeded")


if __name__ == "__main__":
    main()
