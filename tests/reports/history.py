"""A history of three days whose figures are worked out by hand (tests/reports/test_figures.py), played through the
real desk (Lua scripts on Redis, a clock the test moves, timers fired when due) and copied into the SQL record
by the recorder, plus the shop orders that make some of its chats convert.

The period is 2027-01-15 .. 2027-01-17 in Asia/Shanghai (UTC+8). Times below are Unix seconds; local times in
the comments. Agents: amy and ben, manual mode (each chat is claimed), remind after 300 s, reassign 180 s later.

    conv  local start        channel      lang cat        buyer                 handoff (reason)
    c11   01-14 23:50        web          zh   order      -                     H0 requested  (before the period)
    c01   01-15 16:00        web          en   order      channel rep-buyer-1   -
    c02   01-15 16:01        web          zh   product    -                     -
    c03   01-15 16:02        marketplace  en   returns    proves order R90002   H1 requested
    c04   01-15 16:04        marketplace  zh   complaint  channel rep-buyer-5   H2 complaint
    c05   01-15 16:06:40     web          en   order      -                     -
    c06   01-17 09:00        web          en   payment    channel rep-buyer-3   -
    c07   01-17 09:01        marketplace  zh   complaint  channel rep-buyer-4   H3 complaint
    c08   01-17 09:03:20     web          en   product    channel rep-buyer-6   H4 bot_failed
    c09   01-17 09:10        web          zh   order      -                     -
    c10   01-17 23:59:30     web          zh   (none)     -                     -
    c12   01-18 00:00        web          en   order      -                     H5 requested  (after the period)

    H0  queued S-300, ben claims S-150, ben answers S+100 (in the period: wait 250), resolved S+200, rated 1
    H1  queued T+180, amy claims T+190, answers T+200 (wait 10), buyer writes T+260, amy answers T+290 (wait 30)
        and again T+300, resolved T+780, rated 5
    H2  queued T+300, ben claims T+320, answers T+400 (wait 80), resolved T+1500, rated 3
    H3  queued D+120, amy claims D+150, answers D+370 (wait 220) and D+400, resolved D+1620, not rated
    H4  queued D+240, amy claims D+250, reminded D+550, reassigned to ben D+730, ben answers D+750 (wait 20); open
    H5  queued E+10, ben claims E+20, answers E+30

    shop orders: rep-buyer-1 T+7200 (c01 converts); rep-buyer-2 owns R90002 and orders T+780+3600 (c03 converts,
    counted from H1's resolution); rep-buyer-5 orders T+1000, during H2, none after (c04 does not); rep-buyer-3
    orders D+30 h (c06 does not); rep-buyer-4 is no customer of the shop (c07 does not); rep-buyer-6 orders D+1000
    (c08 converts, counted from its start: H4 is not resolved).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import List, Tuple

from sqlalchemy.orm import Session

from helpdesk.desk import Desk
from shop.models import Customer, Order, Product
from tests.helpdesk.conftest import Clock, handoff

TZ = "Asia/Shanghai"
FIRST, LAST = "2027-01-15", "2027-01-17"
S = 1_799_942_400.0  # 2027-01-15 00:00 local: the period's start
T = 1_800_000_000.0  # 2027-01-15 16:00 local
D = T + 2 * 86_400 - 7 * 3_600  # 2027-01-17 09:00 local
E = S + 3 * 86_400  # 2027-01-18 00:00 local: the period's end (exclusive)
AGENT = {"capacity": "2", "languages": "en,zh", "categories": "*", "tier": "senior", "groups": ""}

# (conversation, start, channel, language, category, verified buyer)
CONVERSATIONS = [
    ("c11", S - 600, "web", "zh", "order", ""),
    ("c01", T, "web", "en", "order", "rep-buyer-1"),
    ("c02", T + 60, "web", "zh", "product", ""),
    ("c03", T + 120, "marketplace", "en", "returns", ""),
    ("c04", T + 240, "marketplace", "zh", "complaint", "rep-buyer-5"),
    ("c05", T + 400, "web", "en", "order", ""),
    ("c06", D, "web", "en", "payment", "rep-buyer-3"),
    ("c07", D + 60, "marketplace", "zh", "complaint", "rep-buyer-4"),
    ("c08", D + 200, "web", "en", "product", "rep-buyer-6"),
    ("c09", D + 600, "web", "zh", "order", ""),
    ("c10", E - 30, "web", "zh", "", ""),
    ("c12", E, "web", "en", "order", ""),
]
# (customer channel id, [(order number, placed at)])
ORDERS = [
    ("rep-buyer-1", [("R90001", T - 10 * 86_400), ("R90011", T + 7_200)]),
    ("rep-buyer-2", [("R90002", T - 5 * 86_400), ("R90012", T + 780 + 3_600)]),
    ("rep-buyer-5", [("R90005", T + 1_000)]),
    ("rep-buyer-3", [("R90003", D + 30 * 3_600)]),
    ("rep-buyer-6", [("R90006", D + 1_000)]),
]


class Player:
    """Moves the clock to each step's time, fires the timers due by then (as the sweeper would), then acts."""

    def __init__(self, desk: Desk, clock: Clock) -> None:
        self.desk, self.clock = desk, clock
        self.fired: List[Tuple[str, str]] = []  # (what a timer did, to whom)

    def at(self, t: float) -> Desk:
        assert t >= self.clock.now, "the history is played in time order"
        self.clock.now = t
        for member in self.desk.timers.due():
            result = self.desk.timers.fire(member)
            if result[0] in ("reminded", "reassigned", "no_one_free"):
                self.fired.append((result[0], result[1]))
        return self.desk


def play(desk: Desk, clock: Clock) -> Player:
    """Play the whole history (agents amy and ben must be registered, on a desk in manual mode)."""
    p = Player(desk, clock)
    info = {cid: (start, channel, lang, cat, buyer) for cid, start, channel, lang, cat, buyer in CONVERSATIONS}

    def seen(cid: str) -> None:
        start, channel, lang, cat, buyer = info[cid]
        p.at(start).queue.conversation_seen(
            cid, 3600, {"channel": channel, "language": lang, "category": cat, "customer": buyer}
        )

    def queue(cid: str, at: float, reason: str) -> None:
        _, channel, lang, cat, buyer = info[cid]
        record = handoff(cid, created_at=at, channel=channel, language=lang, category=cat, customer=buyer,
                         reason=reason)  # fmt: skip
        p.at(at).queue.enqueue(record)

    clock.now = S - 1_000  # the history starts before the period
    p.desk.agents.set_status("amy", "online")
    p.desk.agents.set_status("ben", "online")
    # before the period: only H0's answer (S+100) falls in it
    seen("c11")
    queue("c11", S - 300, "requested")
    p.at(S - 150).queue.claim("c11", "ben")
    p.at(S + 100).queue.reply("c11", "ben")
    p.at(S + 200).queue.resolve("c11", "ben")
    p.desk.queue.rate("c11", 1)
    # 2027-01-15, 16:00 local
    seen("c01")
    seen("c02")
    seen("c03")
    p.at(T + 150).queue.conversation_seen("c03", 3600, {"order_number": "R90002"})  # the buyer proves an order
    queue("c03", T + 180, "requested")
    p.at(T + 190).queue.claim("c03", "amy")
    p.at(T + 200).queue.reply("c03", "amy")
    seen("c04")
    p.at(T + 260).queue.buyer_message("c03")
    p.at(T + 290).queue.reply("c03", "amy")
    p.at(T + 300).queue.reply("c03", "amy")  # a second message: no wait to measure
    queue("c04", T + 300, "complaint")
    p.at(T + 320).queue.claim("c04", "ben")
    p.at(T + 400).queue.reply("c04", "ben")
    seen("c05")
    p.at(T + 780).queue.resolve("c03", "amy")
    p.desk.queue.rate("c03", 5)
    p.at(T + 1_500).queue.resolve("c04", "ben")
    p.desk.queue.rate("c04", 3)
    # 2027-01-16: nothing. 2027-01-17, 09:00 local
    seen("c06")
    seen("c07")
    queue("c07", D + 120, "complaint")
    p.at(D + 150).queue.claim("c07", "amy")
    seen("c08")
    queue("c08", D + 240, "bot_failed")
    p.at(D + 250).queue.claim("c08", "amy")
    p.at(D + 370).queue.reply("c07", "amy")
    p.at(D + 400).queue.reply("c07", "amy")
    p.at(D + 550)  # amy is reminded of c08
    seen("c09")
    p.at(D + 730)  # c08 goes to ben
    p.at(D + 750).queue.reply("c08", "ben")
    p.at(D + 1_620).queue.resolve("c07", "amy")
    seen("c10")
    # after the period
    seen("c12")
    queue("c12", E + 10, "requested")
    p.at(E + 20).queue.claim("c12", "ben")
    p.at(E + 30).queue.reply("c12", "ben")
    return p


def add_orders(session: Session) -> None:
    """The history's buyers and their orders, into a seeded shop (times as the shop keeps them: naive UTC)."""
    product = session.query(Product).order_by(Product.id).first()
    for channel_id, orders in ORDERS:
        customer = Customer(name=channel_id, email=f"{channel_id}@example.com", phone="1", channel_id=channel_id)
        session.add(customer)
        for number, placed in orders:
            created = datetime.fromtimestamp(placed, timezone.utc).replace(tzinfo=None)
            paid = created + timedelta(minutes=1)
            session.add(Order(number=number, customer=customer, status="paid", region="domestic", address="1 Road",
                              total=product.price, created_at=created, paid_at=paid))  # fmt: skip
