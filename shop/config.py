"""The shop policy file (shop.yml), validated once and read everywhere else.

A mistake in the file stops start-up with the dotted path of the bad key, e.g.
``shop.yml: returns.window_days: value is not a valid integer``.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Literal, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Extra, ValidationError, confloat, conint, constr, validator

from shop import formats
from shop.parsing import Identifiers, MaskError
from shop.settings import Settings

LANGS = ("en", "zh")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ShopConfigError(ValueError):
    """The shop file is missing, unreadable or breaks a rule."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid  # a misspelt key is an error, not a silent default


class Text(_Strict):
    """A customer-facing text in both languages."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Shop(_Strict):
    name: Text
    support_email: str
    currency: str
    timezone: str

    @validator("timezone")
    def _zone(cls, v: str) -> str:  # noqa: N805
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{v!r} is not a time zone name such as Asia/Shanghai") from exc
        return v


class Returns(_Strict):
    window_days: conint(ge=0, le=365)
    condition: Text
    non_returnable_categories: List[str]
    return_shipping_paid_by: Dict[str, str]
    refund_days: conint(ge=0, le=90)


class Carrier(_Strict):
    name: str
    tracking_url: str


class Region(_Strict):
    name: Text
    min_days: conint(ge=0)
    max_days: conint(ge=0)
    countries: List[str] = []  # ISO codes of the addresses in it, for platforms that give a country

    @validator("max_days")
    def _ordered(cls, v: int, values: dict) -> int:  # noqa: N805
        if "min_days" in values and v < values["min_days"]:
            raise ValueError("max_days is less than min_days")
        return v


class Shipping(_Strict):
    dispatch_hours: conint(ge=0)
    carrier: Carrier
    regions: Dict[str, Region]

    def region_of(self, key_or_country: str) -> Region:
        """An order's region: by key (kefu's schema), else by the address's country, else the last listed."""
        if key_or_country in self.regions:
            return self.regions[key_or_country]
        found = [r for r in self.regions.values() if key_or_country.upper() in r.countries]
        return found[0] if found else list(self.regions.values())[-1]


class BusinessHours(_Strict):
    days: List[str]
    open: str
    close: str

    @validator("days", each_item=True)
    def _weekday(cls, v: str) -> str:  # noqa: N805
        if v not in WEEKDAYS:
            raise ValueError(f"{v!r} is not one of {', '.join(WEEKDAYS)}")
        return v

    @validator("open", "close")
    def _hhmm(cls, v: str) -> str:  # noqa: N805
        hh, _, mm = v.partition(":")
        if v != "24:00" and not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError(f"{v!r} is not HH:MM (or 24:00 for midnight at the close)")
        return v

    @validator("close")
    def _after_open(cls, v: str, values: dict) -> str:  # noqa: N805
        if "open" in values and v <= values["open"]:
            raise ValueError("close must be after open (same day)")
        return v


class Payment(_Strict):
    methods: List[Text]
    unpaid_cancel_hours: conint(ge=1)
    failure_advice: Dict[str, Text]
    general_advice: Text


class Handoff(_Strict):
    max_bot_failures: conint(ge=1)
    unclear_below: confloat(ge=0, le=1)
    complaint_words: List[constr(strip_whitespace=True, min_length=2, max_length=40)] = []
    person_min_confidence: confloat(ge=0, le=1) = 1.0
    max_ownership_failures: conint(ge=1)
    priority: Dict[str, int]


class Sessions(_Strict):
    keep_proof_h: confloat(ge=0, le=720) = 24


FILE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf")  # shop/attachments.py reads them


class Attachments(_Strict):
    """Photos and files buyers and agents send (shop/attachments.py checks them, whatever their name says)."""

    max_mb: confloat(gt=0, le=25) = 5
    types: List[Literal[FILE_TYPES]] = list(FILE_TYPES)  # type: ignore[valid-type]
    per_hour: conint(ge=1, le=1000) = 30  # uploads one chat may make in an hour: a photo or a few, not a dump

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


class Timers(_Strict):
    remind_after_s: conint(ge=1)
    reassign_after_s: conint(ge=1)
    heartbeat_timeout_s: conint(ge=1)
    default_handle_s: conint(ge=1)


class Agent(_Strict):
    id: constr(regex=formats.AGENT_ID)  # used in Redis keys and URLs
    name: str
    capacity: conint(ge=0, le=50)  # 0: the agent takes no chats (e.g. a supervisor)
    languages: List[Literal["en", "zh"]]
    categories: List[str]  # categories.yml names, or "*" for all
    tier: Literal["junior", "senior"]
    groups: List[str] = []
    # supervisor: may act on other agents' chats, reads the reports; trainer: reviews what the bot missed (capacity 0)
    role: Literal["agent", "supervisor", "trainer"] = "agent"

    @validator("categories", "groups", each_item=True)
    def _no_commas(cls, v: str) -> str:  # noqa: N805
        if not v or "," in v:
            raise ValueError(f"{v!r}: names are non-empty and have no commas")
        return v


class Helpdesk(_Strict):
    assignment: Literal["round_robin", "smart", "manual"]
    agents: List[Agent]

    @validator("agents")
    def _unique(cls, v: List[Agent]) -> List[Agent]:  # noqa: N805
        ids = [a.id for a in v]
        if len(ids) != len(set(ids)):
            raise ValueError("agent ids must be unique")
        return v

    @property
    def chat_agents(self) -> List[Agent]:
        """The agents who take chats: all but the trainers, who are never in the live desk (their console login
        reads shop.yml), so never count among the agents online, offline or with room."""
        return [a for a in self.agents if a.role != "trainer"]


class Tracking(_Strict):
    timeout_s: float
    retries: conint(ge=0, le=5)

    @validator("timeout_s")
    def _bounded(cls, v: float) -> float:  # noqa: N805
        if not 0 < v <= 3:
            raise ValueError("must be in (0, 3]: a buyer never waits longer than 3 s")
        return v


class Store(_Strict):
    """Where the shop's orders, customers and catalog live (shop/platforms/). Secrets come from the
    environment only (shop/settings.py SHOP_API_*)."""

    adapter: Literal["kefu_sql", "shopify", "woocommerce", "marketplace"] = "kefu_sql"
    url: str = ""  # the platform's address; SHOP_API_URL overrides it (kefu_sql reads DATABASE_URL)
    shop_id: str = ""  # marketplace: this shop's id on the platform
    api_version: str = "2024-01"  # shopify: the Admin API version the adapter speaks
    timeout_s: confloat(gt=0, le=3) = 2.0  # one platform call; a buyer never waits longer than 3 s
    cache_s: confloat(ge=0, le=3600) = 60  # platform answers are reused this long (platforms limit calls)


class Formats(_Strict):
    """The shapes of the shop's identifiers and of dates (shop/parsing.py explains the masks)."""

    order_numbers: List[constr(min_length=1, max_length=60)] = ["A99999"]
    order_example: str = "A10293"  # what the bot shows a buyer who asks what an order number looks like
    phones: List[str] = ["CN", "US"]  # countries whose phone numbers buyers give (shop/formats.py PHONES)
    date: Text = Text(en="%b %-d", zh="%-m月%-d日")  # strftime; the month and day of a delivery or refund

    @validator("phones")
    def _known_countries(cls, v: List[str]) -> List[str]:  # noqa: N805
        unknown = [c for c in v if c not in formats.PHONES]
        if unknown:
            raise ValueError(f"no phone format for {', '.join(unknown)}; known: {', '.join(formats.PHONES)}")
        return v

    @validator("order_numbers")
    def _masks(cls, v: List[str]) -> List[str]:  # noqa: N805
        try:
            Identifiers(v, [])
        except MaskError as exc:
            raise ValueError(str(exc)) from exc
        return v

    @validator("order_example")
    def _example_fits(cls, v: str, values: dict) -> str:  # noqa: N805
        masks = values.get("order_numbers")
        if masks and Identifiers(masks, []).order_number(v) is None:
            raise ValueError(f"{v!r} is not an order number of the masks {masks}")
        return v


class Colour(_Strict):
    """The words for one of the catalog's colour keys; "words" are what else buyers type for it."""

    en: str
    zh: str
    words: List[str] = []


class QuickReply(_Strict):
    shortcut: constr(regex=formats.SHORTCUT)  # typed after a slash
    en: str
    zh: str


class Reports(_Strict):
    """The supervisors' figures (helpdesk/reports/)."""

    conversion_hours: confloat(gt=0, le=720) = 24  # an order by the same buyer this soon after the chat converts
    fast_reply_s: List[conint(ge=1)] = [30, 180]  # the reply rates: first human answer within each (Pinduoduo)
    # a period longer than this is read from the daily rollups (settled days) plus the recent days, counted exactly
    exact_days: conint(ge=1, le=366) = 31
    settle_days: conint(ge=1, le=60) = 7  # a day this old is settled: its handoffs resolved and rated; rolled up


class AlertWebhook(_Strict):
    """Where each firing and clearing is POSTed, signed with ALERT_WEBHOOK_SECRET (helpdesk/alert_webhook.py)."""

    url: str = ""  # http(s) address; "" sends none
    timeout_s: confloat(gt=0, le=30) = 3.0
    tries: conint(ge=1, le=20) = 8  # a delivery the receiver keeps refusing (down, 5xx) is dropped after these
    retry_s: confloat(gt=0, le=3600) = 5.0  # the wait before the first retry, doubled before each next one

    @validator("url")
    def _http(cls, v: str) -> str:  # noqa: N805
        v = v.strip()
        if v and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"{v!r} is not an http:// or https:// address")
        return v


class AlertRules(_Strict):
    """Each rule fires once when its figure breaches and clears when it recovers (the sweeper evaluates them)."""

    frt_over_min: confloat(gt=0) = 15  # a chat unanswered this long, or the last hour's average first response
    frt_window_min: confloat(gt=0, le=1440) = 60  # "the last hour" of that average
    csat_under: confloat(ge=1, le=5) = 3.5  # the average of the last csat_last ratings (needs that many)
    csat_last: conint(ge=1, le=1000) = 20
    queue_over: conint(ge=0) = 5  # this many chats waiting while no agent is online
    agent_reminders_over: conint(ge=0) = 2  # an agent's chats that were reminded and are still unanswered


class Alerts(_Strict):
    rules: AlertRules = AlertRules()
    webhook: AlertWebhook = AlertWebhook()
    record_every_s: confloat(gt=0, le=3600) = 15  # how often the rules that read the SQL record re-read it


QualityAction = Literal["block", "warn", "off"]


class QualityRules(_Strict):
    """What each check of an agent's reply does: block (not sent, the agent sees why), warn (sent, the agent sees
    why) or off. A shop file without them only warns."""

    banned_words: QualityAction = "warn"  # quality.banned_words, any case
    return_window: QualityAction = "warn"  # a return window longer than returns.window_days
    refund_days: QualityAction = "warn"  # a refund sooner than returns.refund_days business days
    return_shipping: QualityAction = (
        "warn"  # free return shipping where returns.return_shipping_paid_by has the buyer pay
    )
    coupon: QualityAction = "warn"  # a coupon code that does not exist, is switched off, expired or not started
    amount_over_total: QualityAction = "warn"  # a refund or price over the handoff's order total
    off_platform: QualityAction = "warn"  # emails, phones, other sites' links, quality.off_platform_words


class Quality(_Strict):
    """The check of every agent reply before it goes out (helpdesk/quality.py), against this file's policy."""

    rules: QualityRules = QualityRules()
    # Latin words match whole words in any case; a word with a Chinese character matches anywhere
    banned_words: List[constr(strip_whitespace=True, min_length=1, max_length=40)] = []
    off_platform_words: List[constr(strip_whitespace=True, min_length=1, max_length=40)] = []
    off_platform_channels: List[str] = []  # channels whose rules forbid moving the buyer elsewhere; [] = all


class Staffing(_Strict):
    """The staffing forecast (Erlang C): agents per hour of the week to answer this share this fast."""

    target_share: confloat(gt=0, lt=1) = 0.8
    target_s: conint(ge=1, le=3600) = 30
    weeks: conint(ge=1, le=52) = 4  # of history the arrival rates are averaged over
    # chats an agent holds at once: each is a place in the queue's Erlang C (1: one chat at a time)
    chats_per_agent: conint(ge=1, le=50) = 1
    max_occupancy: Optional[confloat(gt=0, le=1)] = None  # the share of time a place may be busy; None: no cap


class ShopConfig(_Strict):
    shop: Shop
    returns: Returns
    shipping: Shipping
    business_hours: BusinessHours
    payment: Payment
    handoff: Handoff
    sessions: Sessions = Sessions()
    attachments: Attachments = Attachments()
    timers: Timers
    helpdesk: Helpdesk
    tracking: Tracking
    quick_replies: List[QuickReply]
    quick_reply_name_unknown: Text
    store: Store = Store()
    formats: Formats = Formats()
    colours: Dict[str, Colour] = {}  # catalog colour key (lower case) -> its words
    categories: Dict[str, Text] = {}  # catalog category key -> its name in both languages
    reports: Reports = Reports()
    alerts: Alerts = Alerts()
    quality: Quality = Quality()
    staffing: Staffing = Staffing()

    def colour_name(self, key: str, lang: str) -> str:
        """The buyer-facing word for a catalog colour key; the key itself when shop.yml has none."""
        entry = self.colours.get(key)
        return (entry.zh if lang == "zh" else entry.en) if entry else key

    def category_name(self, key: str, lang: str) -> str:
        """A catalog category in the buyer's words; the key itself when shop.yml has none."""
        entry = self.categories.get(key)
        return entry(lang) if entry else key

    def colour_words(self) -> Dict[str, str]:
        """Every word buyers use for a colour -> its catalog key."""
        words = {}
        for key, c in self.colours.items():
            for word in (key, c.en, c.zh, *c.words):
                words[word.lower()] = key
        return words


def load_shop_config(path: str | os.PathLike) -> ShopConfig:
    """Read and validate a shop file; raise ShopConfigError naming the bad key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ShopConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ShopConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ShopConfigError(f"{path}: expected a mapping at the top level")
    try:
        return ShopConfig.parse_obj(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ShopConfigError(f"{path}: {problems}") from exc


@lru_cache(maxsize=1)
def shop_identifiers() -> Identifiers:
    """The running shop's identifiers, for the NLU components (which Rasa makes without arguments)."""
    return Identifiers.of(load_shop_config(Settings.from_env().shop_config))


def main() -> None:
    """python -m shop.config [FILE]: check a shop file, exit 1 naming the bad key."""
    path = sys.argv[1] if len(sys.argv) > 1 else Settings.from_env().shop_config
    try:
        cfg = load_shop_config(path)
    except ShopConfigError as exc:
        print(f"shop config error: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"{path}: ok ({cfg.shop.name.en}, return window {cfg.returns.window_days} days)")


if __name__ == "__main__":
    main()
