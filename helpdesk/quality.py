"""The quality check of an agent's reply before it goes out (seed 002's 质检), against the shop's own policy.

    findings = check(text, ReplyContext(cfg, channel="marketplace", store=shop, order_number="A10001"))

Each rule finds one kind of breach, in English and Chinese alike (an agent may answer in either, or both);
shop.yml ``quality.rules`` says whether a breach blocks the reply (it is not sent, the agent sees why), only
warns (it is sent, the agent sees why), or is not checked (off). What the policy is comes from shop.yml too:
the return window and refund days (``returns``), who pays return shipping, the word lists and the channels
where contact details are forbidden (``quality``). The coupons and the order come from the shop's data; when
the shop's platform is down those two checks are skipped, never guessed.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Tuple

from helpdesk.quality_text import MAX_GAP, amounts, durations, normalise, sentences, topic_of, words_in
from shop import formats
from shop.config import ShopConfig
from shop.parsing import Identifiers
from shop.store import CouponView, OrderView, ShopStore, StoreUnavailable

log = logging.getLogger(__name__)

# rule -> what it finds, in the words of the QA report
RULES: Dict[str, str] = {
    "banned_words": "banned or sensitive words",
    "return_window": "a return window longer than the policy's",
    "refund_days": "a refund faster than the policy's",
    "return_shipping": "free return shipping where the buyer pays it",
    "coupon": "a coupon that does not exist or has expired",
    "amount_over_total": "a refund or price over the order total",
    "off_platform": "contact details that move the buyer off the platform",
}
MAX_EXCERPT = 200  # characters of the offending words kept with a finding
MAX_CODES = 10  # coupon codes looked up per reply: a reply full of codes costs ten queries, not a thousand


@dataclass(frozen=True)
class Finding:
    rule: str  # a key of RULES
    action: str  # block | warn
    message: str  # for the agent, in English, naming the policy
    excerpt: str  # the words that broke it

    def as_dict(self) -> Dict[str, str]:
        return asdict(self)


@dataclass
class ReplyContext:
    """What a reply is checked against: the shop's rules, the chat's channel, and the shop's data (coupons, the
    order the handoff is about). Without a store, the coupon and order checks are skipped."""

    cfg: ShopConfig
    channel: str = ""
    store: Optional[ShopStore] = None
    order_number: Optional[str] = None
    now: float = field(default_factory=time.time)  # Unix seconds: when a coupon must be valid
    _order: Optional[Tuple[Optional[OrderView]]] = field(default=None, repr=False)

    def order(self) -> Optional[OrderView]:
        """The handoff's order, read once; None if there is none or the shop's data cannot be read."""
        if self._order is None:
            found = None
            if self.store is not None and self.order_number:
                try:
                    found = self.store.find_order(self.order_number)
                except StoreUnavailable as exc:
                    log.warning("quality check: order %s unreadable, not checked: %s", self.order_number, exc)
            self._order = (found,)
        return self._order[0]


@dataclass(frozen=True)
class Reply:
    text: str  # normalised (full-width as ASCII)
    sentences: List[Tuple[int, str]]

    @classmethod
    def of(cls, text: str) -> "Reply":
        t = normalise(text)
        return cls(t, list(sentences(t)))


Breach = Optional[Tuple[str, str]]  # (message, excerpt), or None: the rule holds


def check(text: str, context: ReplyContext) -> List[Finding]:
    """Every rule the reply breaks that shop.yml does not switch off, in the order of RULES."""
    reply = Reply.of(text or "")
    rules = context.cfg.quality.rules
    findings = []
    for rule, test in CHECKS.items():
        action = getattr(rules, rule)
        if action == "off":
            continue
        breach = test(reply, context)
        if breach is not None:
            message, excerpt = breach
            findings.append(Finding(rule, action, message, _clip(excerpt)))
    return findings


def blocked(findings: List[Finding]) -> bool:
    return any(f.action == "block" for f in findings)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


def _days(n: float) -> str:
    if n < 1:
        hours = round(n * 24)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{n:g} day{'s' if n != 1 else ''}"


# -- the rules --------------------------------------------------------------------------------------------------
def banned_words(reply: Reply, ctx: ReplyContext) -> Breach:
    hits = words_in(reply.text, ctx.cfg.quality.banned_words)
    return (f"Words the shop never uses with buyers: {', '.join(hits)}.", ", ".join(hits)) if hits else None


_NO_TIME_LIMIT = re.compile(
    r"(?<![A-Za-z])(?:return|exchange)\w*\s+(?:\w+\s+){0,3}?(?:at any time|any ?time|forever|whenever you (?:like|"
    r"want)|with no time limit|without (?:a |any )?time limit)|(?:lifetime|unlimited|no[- ]time[- ]limit) "
    r"(?:returns?|exchanges?|return policy)"
    r"|(?:随时|永久|终身|不限时|无限期|任何时候)都?(?:可以|能)?(?:退货|退换|退(?!款|钱|费)|换货|包退)"
    r"|(?:退货|退换|包退)(?:不限时|无期限|没有期限|不限期|无时间限制)",
    re.IGNORECASE,
)


def return_window(reply: Reply, ctx: ReplyContext) -> Breach:
    """A return or exchange promised for longer than returns.window_days ("30天内可退", "return within 30 days")."""
    window = ctx.cfg.returns.window_days
    worst: Optional[Tuple[float, str]] = None
    for _, sentence in reply.sentences:
        promises = [(math.inf, m.group(0)) for m in _NO_TIME_LIMIT.finditer(sentence)]
        for d in durations(sentence):
            about = topic_of(sentence, d)
            if about is not None and about.text == "return" and d.days > window:
                promises.append((d.days, sentence[about.start : about.end]))
        for promise in promises:
            if worst is None or promise[0] > worst[0]:
                worst = promise
    if worst is None:
        return None
    said = "returns with no time limit" if worst[0] == math.inf else _days(worst[0])
    return f"Our return window is {_days(window)}; the reply promises {said}.", worst[1]


_AT_ONCE = re.compile(
    r"(?<![A-Za-z])(?:refund(?:ed)?|money back)(?: (?:to )?you)?(?: (?:will be|is))? (?:today|right away|right now|"
    r"immediately|instantly|at once|within the hour|straight away|tomorrow)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:instant|same[- ]day|immediate) refunds?(?![A-Za-z])"
    r"|(?:马上|立即|立刻|今天|当天|即时|秒|明天)(?:就)?(?:给您|为您|帮您)?(?:退款|到账|退钱|打款)"
    r"|(?:退款|钱|款项)(?:今天|当天|马上|立即|立刻|秒|明天)(?:就)?(?:到账|退回|到)",
    re.IGNORECASE,
)


def refund_days(reply: Reply, ctx: ReplyContext) -> Breach:
    """A refund promised sooner than returns.refund_days business days. "2个工作日" is compared as business days;
    "within 3 days" or "48 hours" as calendar time against the longest those business days can take (a
    weekend in every five: 5 business days are up to 7 days); "today", "马上退款" as no time at all."""
    allowed = ctx.cfg.returns.refund_days
    if allowed == 0:
        return None
    calendar = allowed + 2 * math.ceil(allowed / 5)
    fastest: Optional[Tuple[float, str, str]] = None  # (days, what the reply says, excerpt)
    for _, sentence in reply.sentences:
        promises = [(0.0, "an immediate refund", m.group(0)) for m in _AT_ONCE.finditer(sentence)]
        for d in durations(sentence):
            about = topic_of(sentence, d)
            if about is None or about.text != "refund" or d.days >= (allowed if d.business else calendar):
                continue
            promises.append((d.days, f'"{d.text}"', sentence[about.start : about.end]))
        for promise in promises:
            if fastest is None or promise[0] < fastest[0]:
                fastest = promise
    if fastest is None:
        return None
    message = f"Our refunds take up to {allowed} business days after we receive the return; the reply promises"
    return f"{message} {fastest[1]}.", fastest[2]


_FREE_RETURN_SHIPPING = re.compile(
    r"(?<![A-Za-z])(?:free (?:return shipping|returns?|return postage|return label|shipping back)"
    r"|return (?:shipping|postage)(?: is| will be)? (?:free|on us|covered|paid by us|at our (?:cost|expense))"
    r"|(?:we|i)(?:'ll| will)? (?:pay|cover|refund) (?:for )?(?:the |your )?return (?:shipping|postage|label|cost)s?"
    r"|(?:prepaid|free) (?:return )?(?:shipping )?label|no (?:cost|charge) (?:to|for) (?:you to )?return"
    r"|returns? (?:are|is) free)(?![A-Za-z])"
    r"|包邮退|退货包邮|退换包邮|运费(?:都|全)?(?:由)?(?:我们|我|商家|店铺|卖家|本店)(?:来)?(?:出|承担|负责|付|支付|报销)"
    r"|(?:我们|我|商家|本店)(?:来)?(?:出|承担|负责|支付|报销)(?:退货|退回|寄回)?(?:的)?运费"
    r"|(?:免费|免运费)(?:退货|退换|寄回)|(?:退货|退换)免(?:运)?费|运费险|(?:寄回|退回|退货)(?:时)?(?:选择)?到付",
    re.IGNORECASE,
)


def return_shipping(reply: Reply, ctx: ReplyContext) -> Breach:
    """Free return shipping promised where returns.return_shipping_paid_by has the buyer pay (in any case but
    those the shop pays for: the agent may know it is one, so shop.yml should make this rule warn)."""
    payers = ctx.cfg.returns.return_shipping_paid_by
    if "buyer" not in payers.values():
        return None
    hits = [m.group(0) for m in _FREE_RETURN_SHIPPING.finditer(reply.text)]
    if not hits:
        return None
    ours = [reason.replace("_", " ") for reason, payer in payers.items() if payer == "shop"]
    cases = " or ".join(ours)
    unless = f" unless it is a {cases}" if ours else ""
    fine = f" Right only for a {cases}." if ours else ""
    return f"The buyer pays return shipping{unless}; the reply promises it free.{fine}", ", ".join(hits)


_COUPON_WORD = re.compile(
    r"(?<![A-Za-z])(?:coupons?|vouchers?|promo(?:tion(?:al)?)?(?: codes?)?|discount codes?|(?<!tracking )(?<!postal )"
    r"(?<!zip )(?<!verification )(?<!country )(?<!area )codes?)(?![A-Za-z])|优惠码|优惠券|折扣码|兑换码|券码|红包码|券",
    re.IGNORECASE,
)
# a code mixes letters and digits (SAVE10, 50OFF, welcome15); a code of letters only (FREESHIP) must be in
# capitals right after the word ("code FREESHIP", "优惠码:FREESHIP")
_MIXED_CODE = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{4,32}(?![A-Za-z0-9-])"
)
_LETTER_CODE = re.compile(r"\s*(?:[:=]|is|:)?\s*[\"'“「『]?([A-Z]{4,32})(?![A-Za-z0-9])")


def _codes(reply: Reply, ctx: ReplyContext) -> List[str]:
    numbers = _order_numbers(tuple(ctx.cfg.formats.order_numbers))
    codes: Dict[str, None] = {}
    for _, sentence in reply.sentences:
        words = list(_COUPON_WORD.finditer(sentence))
        if not words:
            continue
        starts = [w.start() for w in words]
        for m in _MIXED_CODE.finditer(sentence):
            token = m.group(0)
            starts_as_code = token[0].isalpha() or token.isupper()  # "10th" is a date, "50OFF" a code
            if starts_as_code and _near(starts, m.start()):
                codes.setdefault(token.upper())
        for w in words:
            letters = _LETTER_CODE.match(sentence, w.end())
            if letters:
                codes.setdefault(letters.group(1))
    order = ctx.order() if codes else None
    not_codes = {ctx.cfg.shop.currency.upper(), (order.tracking_no or "").upper() if order else ""}
    return [c for c in codes if c not in not_codes and not numbers.is_order_number(c)][:MAX_CODES]


def _near(positions: List[int], at: int) -> bool:
    """Whether one of the sorted positions is within MAX_GAP (and the word's own length) of at."""
    i = bisect.bisect_left(positions, at - MAX_GAP - 20)
    return i < len(positions) and positions[i] <= at + MAX_GAP


def coupon(reply: Reply, ctx: ReplyContext) -> Breach:
    """A coupon code the shop does not have, or one that is switched off, expired or not started yet."""
    if ctx.store is None:
        return None
    now = datetime.fromtimestamp(ctx.now, timezone.utc).replace(tzinfo=None)  # the store's times are naive UTC
    wrong: List[Tuple[str, str]] = []
    for code in _codes(reply, ctx):
        try:
            found = ctx.store.coupon(code)
        except StoreUnavailable as exc:
            log.warning("quality check: coupons unreadable, not checked: %s", exc)
            return None
        problem = _coupon_problem(found, now)
        if problem:
            wrong.append((code, problem))
    if not wrong:
        return None
    told = "; ".join(f"coupon {code} {problem}" for code, problem in wrong)
    return told[0].upper() + told[1:] + ".", ", ".join(code for code, _ in wrong)


def _coupon_problem(found: Optional[CouponView], now: datetime) -> str:
    if found is None:
        return "does not exist"
    if not found.active:
        return "is switched off"
    if found.ends_at < now:
        return f"expired on {found.ends_at:%Y-%m-%d}"
    if found.starts_at > now:
        return f"is not valid before {found.starts_at:%Y-%m-%d}"
    return ""


def amount_over_total(reply: Reply, ctx: ReplyContext) -> Breach:
    """A refund or price in the reply larger than the total of the handoff's order ("$80 refund", "退款¥500"). Any
    sum is read in the shop's currency (agents quote the order's own)."""
    offered: List[Tuple[float, str]] = []
    for _, sentence in reply.sentences:
        for a in amounts(sentence):
            about = topic_of(sentence, a, ("refund", "price", "delivery"))
            if about is not None and about.text in ("refund", "price"):
                offered.append((a.value, a.text))
    if not offered:
        return None
    order = ctx.order()
    if order is None:
        return None
    over = [o for o in offered if o[0] > order.total + 0.005]
    if not over:
        return None
    largest = max(over)
    currency = ctx.cfg.shop.currency
    return (f"Order {order.number} totals {order.total:.2f} {currency}; the reply offers {largest[1]}.",
            ", ".join(text for _, text in over))  # fmt: skip


_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。、）)\]]+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![@A-Za-z0-9.-])(?:[A-Za-z0-9-]+\.)+(?:com|net|org|cn|shop|store|io|co|me|app|top|xyz|info|biz|cc|hk|tw|"
    r"link|site|online)(?![A-Za-z0-9-])(?:/[^\s<>\"'，。、）)\]]*)?",
    re.IGNORECASE,
)
# an address starts where a run of its characters starts: tried from every character, a long run is quadratic
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])" + formats.EMAIL)
_PHONE = re.compile("|".join(formats.PHONES.values()))


def off_platform(reply: Reply, ctx: ReplyContext) -> Breach:
    """Contact details that take the buyer elsewhere: an email, a phone number, a link to another site, or a word
    of quality.off_platform_words (WeChat, 加v) — on the channels quality.off_platform_channels lists (none: all).
    The shop's support_email and its carrier's tracking links are its own."""
    channels = ctx.cfg.quality.off_platform_channels
    if channels and ctx.channel not in channels:
        return None
    text = _without_own_details(reply.text, ctx)
    hits: Dict[str, None] = {}
    for pattern in (_EMAIL, _URL, _DOMAIN, _PHONE):
        for m in pattern.finditer(text):
            hits.setdefault(m.group(0).rstrip(".,;:!?"))
        text = pattern.sub(" ", text)  # found once: an email's or a link's domain is not found again
    for word in words_in(text, ctx.cfg.quality.off_platform_words):
        hits.setdefault(word)
    if not hits:
        return None
    where = f"On the {ctx.channel} channel buyers" if channels else "Buyers"
    found = ", ".join(hits)
    return f"{where} must stay on the platform; the reply gives {found}.", found


def _without_own_details(text: str, ctx: ReplyContext) -> str:
    """The reply without what is the shop's own: its support email, tracking links, order and tracking numbers."""
    numbers = _order_numbers(tuple(ctx.cfg.formats.order_numbers))
    text = re.sub(re.escape(ctx.cfg.shop.support_email), " ", text, flags=re.IGNORECASE)
    text = _tracking_link(ctx.cfg.shipping.carrier.tracking_url).sub(" ", text)
    order = ctx.order() if _PHONE.search(text) else None  # a tracking number can look like a phone number
    if order is not None and order.tracking_no:
        text = text.replace(order.tracking_no, " ")
    return numbers.without_order_numbers(text)


@lru_cache(maxsize=8)
def _tracking_link(template: str) -> re.Pattern:
    """shop.yml's carrier tracking_url with any tracking number in it, with or without its scheme."""
    pattern = re.escape(re.sub(r"^https?://", "", template)).replace(re.escape("{tracking_no}"), r"[^\s<>\"']+")
    return re.compile(r"(?:https?://)?" + pattern, re.IGNORECASE)


@lru_cache(maxsize=8)
def _order_numbers(masks: Tuple[str, ...]) -> Identifiers:
    """The shop's order-number shapes (shop.yml formats.order_numbers), compiled once."""
    return Identifiers(masks, [])


CHECKS: Dict[str, Callable[[Reply, ReplyContext], Breach]] = {
    "banned_words": banned_words,
    "return_window": return_window,
    "refund_days": refund_days,
    "return_shipping": return_shipping,
    "coupon": coupon,
    "amount_over_total": amount_over_total,
    "off_platform": off_platform,
}
