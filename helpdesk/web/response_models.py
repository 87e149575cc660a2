"""What the helpdesk answers, as /openapi.json declares it: one model per JSON body a handler sends.

The handlers build plain dicts; tests/helpdesk/test_fuzz.py checks every answer against these models. A body the
handler builds key by key forbids other keys; a Redis hash passed on as it is (an agent, a live handoff) allows
more string fields.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Literal, Optional, Union

from pydantic import ConstrainedFloat, Extra, Field

from helpdesk.agents import STATUSES
from helpdesk.web.fields import Model
from shop.config import WEEKDAYS

State = Literal["waiting", "assigned", "resolved"]
Presence = Literal[STATUSES]


class Answer(Model):
    class Config:
        extra = Extra.forbid


class Error(Answer):
    error: str = Field(..., description="a code from the list of this status")
    reason: str = Field(..., description="for people: what went wrong")
    owner: str = Field(None, description="the agent who has the conversation (not_yours, not_waiting)")
    findings: List["QaCheck"] = Field(None, description="qa_blocked: every rule the reply broke, block or warn")


class Health(Answer):
    status: Literal["ok"]


# -- agents and the queue ----------------------------------------------------------------------
class Agent(Model):
    """An agent's profile from shop.yml, as kept in Redis (every value a string), with presence and chats."""

    id: str
    status: Presence
    chats: List[str] = Field(..., description="the conversations they hold")
    load: int
    name: str = None
    capacity: str = None
    languages: str = Field(None, description="comma-separated")
    categories: str = Field(None, description="comma-separated; * for all")
    groups: str = Field(None, description="comma-separated")
    tier: str = None
    role: str = None

    rules: ClassVar[Dict[str, Any]] = {"additionalProperties": {"type": "string"}}


class Agents(Answer):
    agents: List[Agent]


class Waiting(Answer):
    conversation_id: str
    position: int = Field(..., description="1 is served next")
    waiting_s: int
    priority: int
    vip: bool
    category: str
    language: str
    channel: str
    group: str
    summary: str


class Alert(Answer):
    name: str
    text: str
    since: float
    last: float


class Queue(Answer):
    waiting: List[Waiting]
    agents: List[Agent]
    alerts: List[Alert] = Field(..., description="what only an operator can fix, e.g. the shop platform refusing us")


class InboxCounts(Answer):
    waiting: int
    assigned: int
    unreplied: int = Field(..., description="assigned chats whose buyer waits for an answer")
    waiting_by_priority: Dict[str, int] = Field(..., description="priority -> chats waiting, highest first")
    oldest_wait_s: int


class InboxChat(Answer):
    conversation_id: str
    title: str = Field(..., description="the buyer's name if the shop knows it, else the channel and a short id")
    state: Literal["waiting", "assigned"]
    agent: str
    agent_name: str
    channel: str
    category: str
    language: str
    group: str
    priority: int
    vip: bool
    position: int = Field(..., description="in the queue, 1 is served next; 0 when assigned")
    waiting_s: int = Field(..., description="since the handoff")
    unreplied: bool
    summary: str


class ChatInbox(Answer):
    counts: InboxCounts
    facets: Dict[str, List[str]] = Field(..., description="the values each filter can take among the live chats")
    view: Literal["waiting", "assigned"]
    page: int
    per_page: int
    total: int = Field(..., description="chats of the view that match the filters, over every page")
    chats: List[InboxChat]
    mine: List[InboxChat] = Field(..., description="the logged-in agent's own chats ([] for the service token)")
    agents: List[Agent]
    alerts: List[Alert]


class Found(Answer):
    conversation_id: str
    handoff_id: str
    title: str = Field(..., description="as in the inbox: the buyer's name if the shop knows it, else channel and id")
    channel: str
    category: str
    language: str
    state: State
    agent: str = Field(..., description="who has it, or who resolved it")
    created_at: float
    resolved_at: Optional[float]
    rating: Optional[int]
    matched: Literal["", "name", "order", "customer", "conversation", "summary", "message"] = Field(
        ..., description='where ?q= was found (the first of these); "" without ?q='
    )
    snippet: str = Field(..., description="the words around a match in the summary or a message, masked")


class SearchResults(Answer):
    q: str
    state: str
    channel: str
    page: int
    per_page: int
    total: int = Field(..., description="handoffs that match, over every page")
    messages_since: Optional[float] = Field(
        ..., description="messages were searched only in conversations handed off since then (null: in all of them)"
    )
    messages_unavailable: bool = Field(..., description="the tracker store did not answer: no message was searched")
    results: List[Found]


class Event(Answer):
    kind: str
    agent: str
    at: float


class HandoffHistory(Answer):
    handoff_id: str
    state: State
    agent: Optional[str] = Field(...)
    category: str
    priority: int
    created_at: float
    first_reply_at: Optional[float] = Field(...)
    resolved_at: Optional[float] = Field(...)
    rating: Optional[int] = Field(...)
    events: List[Event]


class Conversation(Answer):
    live: Dict[str, str] = Field(..., description="the live handoff in Redis, every value a string; {} if none")
    position: int = Field(..., description="its place in the waiting list; 0 if not waiting")
    handoffs: List[HandoffHistory]


# -- transitions -------------------------------------------------------------------------------
class Placement(Answer):
    queued: bool = Field(..., description="false: it was already waiting or assigned, nothing changed")
    state: Literal["waiting", "assigned"]
    agent: str = Field(..., description='"" while waiting')
    position: int = Field(..., description="1-based place in the waiting list; 0 when assigned")


class Claimed(Answer):
    conversation_id: str
    agent: str


class Replied(Answer):
    conversation_id: str
    agent: str
    delivered_to_transcript: Literal[True]
    qa: List["QaCheck"] = Field(..., description="the quality check's warnings (the reply was sent); [] if none")


class FileRef(Answer):
    file: str = Field(..., description="its kept name: GET /files/{file}")
    type: str
    size: int
    name: str = Field(..., description="the sender's name for it (may be empty)")


class FileSent(Answer):
    conversation_id: str
    agent: str
    file: FileRef


class TypingShown(Answer):
    conversation_id: str
    shown: bool


class Transferred(Answer):
    conversation_id: str
    agent: str = Field(..., description='the new owner; "" while it waits for the group')
    state: Literal["assigned", "waiting"]


class Resolved(Answer):
    conversation_id: str
    agent: str = Field(..., description="who had it")
    bot_resumed: bool = Field(..., description="false: Rasa did not answer; the sweeper keeps trying")


class StatusSet(Answer):
    agent: str
    status: Presence
    returned_to_queue: List[str]


class Heartbeat(Answer):
    agent: str
    status: Literal["online", "away"]


# -- the console -------------------------------------------------------------------------------
class Me(Answer):
    agent: str
    name: Optional[str] = Field(...)
    role: str
    csrf: str = Field(..., description="send it as X-CSRF-Token with every change")


class LoggedOut(Answer):
    logged_out: Literal[True]


class Turn(Answer):
    who: Literal["buyer", "bot", "agent"]
    text: str = Field(..., description="empty for a photo sent without words")
    attachments: List[FileRef] = Field([], description="photos and files the turn carries")
    at: Optional[float] = Field(...)
    agent: Optional[str] = Field(None, description="the agent's id on an agent turn, null on a bot turn")
    intent: Optional[str] = Field(None, description="a buyer turn: what the bot made of it")
    confidence: Optional[float] = Field(None, description="a buyer turn: how sure the bot was (0..1)")
    flagged: Optional[str] = Field(None, description="a buyer turn: the intent an agent flagged it with")


class DeliveryFailure(Answer):
    text: str
    reason: str
    at: float
    channel: str
    agent: str
    attempts: int


class Transcript(Answer):
    conversation_id: str
    turns: List[Turn]
    paused: bool
    delivery_failures: List[DeliveryFailure] = Field(..., description="newest first")
    channel_state: Dict[str, str] = Field(
        ..., description="the buyer's side, as the channel saw it: read_up_to, last_message_at, closed_at (ms)"
    )


class Order(Answer):
    number: str
    status: str
    total: float
    created_at: str
    tracking_no: Optional[str] = Field(...)


class PastHandoff(Answer):
    conversation_id: str
    handoff_id: str
    category: str
    state: State
    agent: Optional[str] = Field(...)
    created_at: float
    rating: Optional[int] = Field(...)


class KnownCustomer(Answer):
    known: Literal[True]
    name: str
    email: str
    phone: str
    vip: bool
    orders: List[Order]
    handoffs: List[PastHandoff]


class UnknownCustomer(Answer):
    known: Literal[False]
    vip: bool
    orders: List[Order] = Field(..., description="always empty")
    handoffs: List[PastHandoff]
    store_error: Optional[str] = Field(None, description="why the shop's data could not be read (platform down)")


class CustomerPanel(Model):
    __root__: Union[KnownCustomer, UnknownCustomer]


class NoteRecord(Answer):
    agent: str
    text: str
    at: float


class Notes(Answer):
    notes: List[NoteRecord]


class QuickReply(Answer):
    shortcut: str
    en: str
    zh: str
    personal: bool = Field(..., description="the agent's own (it wins over the shop's with the same shortcut)")


class QuickReplies(Answer):
    quick_replies: List[QuickReply]


class Deleted(Answer):
    deleted: str


class FilledQuickReply(Answer):
    shortcut: str
    language: Literal["en", "zh"]
    text: str


class Document(Model):
    __root__: Dict[str, Any]


# -- the staffing forecast (GET /reports/staffing) ---------------------------------------------------------------
class StaffingTarget(Answer):
    share: float = Field(..., description="of chats to answer within within_s (0..1)")
    within_s: int


class StaffingHistory(Answer):
    from_: str = Field(..., alias="from", description="the first day of history read (YYYY-MM-DD, shop's zone)")
    to: str = Field(..., description="the last day read: yesterday")
    handoffs: int = Field(..., description="handoffs queued on those days")


class StaffingHour(Answer):
    day: Literal[WEEKDAYS]
    hour: int = Field(..., ge=0, le=23)
    arrivals_per_h: float = Field(..., description="handoffs queued in this hour of the week, on average")
    agents: int = Field(..., description="the fewest agents who meet the target (0: no arrivals)")
    service_level: Optional[float] = Field(..., description="share answered within the target with them")
    asa_s: Optional[float] = Field(..., description="their average speed of answer, seconds")
    occupancy: Optional[float] = Field(..., description="traffic / (agents x chats_per_agent)")


class StaffingPeak(Answer):
    day: Literal[WEEKDAYS]
    hour: int
    agents: int


class StaffingPlan(Answer):
    target: StaffingTarget
    weeks: int
    timezone: str
    history: StaffingHistory
    chats_per_agent: int
    max_occupancy: Optional[float] = Field(..., description="null: no cap")
    handle_s: float = Field(..., description="the mean time from assignment to resolution")
    handle_from: Literal["history", "default"] = Field(..., description="default: shop.yml timers.default_handle_s")
    hours: List[StaffingHour] = Field(..., min_items=168, max_items=168, description="mon 0 .. sun 23")
    peak: Optional[StaffingPeak] = Field(..., description="the hour needing the most agents; null: no arrivals")


# -- the quality check of replies (helpdesk/quality.py) and the QA report (GET /reports/quality) ---------------
# helpdesk.quality.RULES (tests/helpdesk/test_quality.py checks they agree)
QaRule = Literal["banned_words", "return_window", "refund_days", "return_shipping", "coupon", "amount_over_total",
                 "off_platform"]  # fmt: skip


class QaCheck(Answer):
    """One rule a reply broke."""

    rule: QaRule
    action: Literal["block", "warn"] = Field(..., description="block: the reply was not sent; warn: it was")
    message: str = Field(..., description="for the agent, in English, naming the shop's policy")
    excerpt: str = Field(..., description="the words that broke it")


Error.update_forward_refs(QaCheck=QaCheck)
Replied.update_forward_refs(QaCheck=QaCheck)


class QaAgent(Answer):
    agent: str
    name: str
    replies: int = Field(..., description="messages the agent sent in the period")
    blocked: int = Field(..., description="replies refused by a block rule (not sent)")
    warned: int = Field(..., description="replies sent with warnings only")
    by_rule: Dict[str, int] = Field(..., description="findings per rule (one reply may break several)")


class QaRuleCount(Answer):
    rule: QaRule
    action: Literal["block", "warn", "off"] = Field(..., description="what shop.yml says the rule does now")
    count: int = Field(..., description="findings in the period")
    label: str


class QaFindingRecord(Answer):
    at: float
    agent: str
    conversation_id: str
    rule: str
    action: Literal["block", "warn"]
    excerpt: str


class QaPeriod(Answer):
    from_: str = Field(..., alias="from", description="the first day (YYYY-MM-DD, the shop's time zone)")
    to: str = Field(..., description="the last day, inclusive")
    timezone: str


class QualityReport(Answer):
    period: QaPeriod
    by_agent: List[QaAgent] = Field(..., description="every agent; the most blocked and warned replies first")
    by_rule: List[QaRuleCount] = Field(..., description="every rule, in a fixed order")
    recent: List[QaFindingRecord] = Field(..., description="the latest 50 findings of the period, newest first")


# -- the supervisors' figures (GET /reports, helpdesk/reports/figures.py) -------------------------------------------
class MaybeRate(ConstrainedFloat):
    """A share 0..1, or null (nothing to measure) where it is a dict's value: the base model marks only a model's own
    Optional fields nullable."""

    ge, le = 0, 1

    @classmethod
    def __modify_schema__(cls, field_schema: Dict[str, Any]) -> None:
        super().__modify_schema__(field_schema)
        field_schema["nullable"] = True


class ReasonShare(Answer):
    count: int = Field(..., description="conversations of the period handed off for this reason")
    rate: Optional[float] = Field(..., description="count / conversations")


class Conversion(Answer):
    buyers: int = Field(..., description="conversations of the period whose buyer is known (verified, or proved an "
                        "order)")  # fmt: skip
    converted: int = Field(..., description="of those, followed by an order of that buyer within conversion_hours")
    rate: Optional[float] = Field(..., description="converted / buyers")


class Figures(Answer):
    """Every figure of a period or group (README "Reports" defines each). Rates are 0..1, durations seconds;
    null: no data to measure. By agent, the conversation figures are null: a conversation has no agent."""

    conversations: Optional[int] = Field(..., description="buyer sessions started in the period")
    handoffs: int = Field(..., description="handoffs queued in the period")
    containment: Optional[float] = Field(..., description="conversations with no handoff / conversations")
    handoff_reasons: Optional[Dict[str, ReasonShare]] = Field(..., description="by the handoff's reason")
    frt_p50_s: Optional[float] = Field(..., description="first human reply - queued, median over handoffs answered")
    frt_p90_s: Optional[float] = Field(...)
    reply_rates: Dict[str, Optional[MaybeRate]] = Field(
        ..., description="seconds (shop.yml reports.fast_reply_s) -> share of handoffs first answered that soon"
    )
    response_avg_s: Optional[float] = Field(..., description="the agents' waits: first reply since they got the "
                                            "chat, later replies since the buyer wrote")  # fmt: skip
    response_p90_s: Optional[float] = Field(...)
    resolved: int = Field(..., description="handoffs of the period resolved (by now)")
    resolution_rate: Optional[float] = Field(..., description="resolved / handoffs")
    resolution_p50_s: Optional[float] = Field(..., description="resolved - queued")
    resolution_avg_s: Optional[float] = Field(...)
    csat_avg: Optional[float] = Field(..., description="1-5")
    csat_responses: int
    csat_response_rate: Optional[float] = Field(..., description="ratings / resolved")
    agent_messages: int
    agent_days: int = Field(..., description="(agent, day) pairs with at least one agent message")
    messages_per_agent_day: Optional[float] = Field(..., description="agent_messages / agent_days")
    conversion: Optional[Conversion] = Field(..., description="null: the shop's platform cannot list its orders")
    reassignments: int
    reminders: int


class ReportGroup(Figures):
    key: str = Field(..., description="YYYY-MM-DD, 00..23, or the agent, category, channel or language ('': none)")


class ReportPeriod(Answer):
    from_: str = Field(..., alias="from", description="the first day (YYYY-MM-DD, the shop's time zone)")
    to: str = Field(..., description="the last day, inclusive")
    timezone: str


class Report(Answer):
    period: ReportPeriod
    group_by: Literal["day", "hour", "agent", "category", "channel", "language"]
    totals: Figures
    groups: List[ReportGroup] = Field(..., description="every day or hour of the period; else the keys that occur")


# -- the trainer's loop (helpdesk/web/training_api.py) ------------------------------------------
class Intent(Answer):
    intent: str
    category: str


class Intents(Answer):
    intents: List[Intent] = Field(..., description="by category, in categories.yml's order")


class Link(Answer):
    id: str
    transcript: str


class InboxEntry(Answer):
    key: str = Field(..., description="16 hex digits: the masked text's id")
    text: str = Field(..., description="masked: [email] [phone] [order] [name]")
    count: int
    why: Dict[str, int] = Field(..., description="fallback, out_of_scope, low_confidence, before_handoff, flagged")
    guessed: Dict[str, int] = Field(..., description="the intents the bot guessed")
    suggested: Optional[str] = Field(..., description="the intent of the latest agent flag")
    flagged_by: List[str]
    conversations: List[Link] = Field(..., description="up to 5")
    last_at: float


class Inbox(Answer):
    since: str
    below: float = Field(..., description="a guess under this confidence counts as missed")
    total: int = Field(..., description="entries in the inbox (the list may be cut at ?limit=)")
    entries: List[InboxEntry]
    intents: List[Intent]
    reviewed: Dict[str, int] = Field(..., description="accepted, ignored")
    file: str = Field(..., description="where accepted examples are written")
    examples_in_file: int


class DecisionMade(Answer):
    key: str
    text: str
    decision: str = Field(..., description='an intent, or "ignore"')
    example: Optional[str] = Field(..., description="the line written (null for ignore)")
    file: str
    examples_in_file: int


class PastDecision(Answer):
    key: str
    text: str
    decision: str
    trainer: str
    at: float
    example: Optional[str] = Field(...)


class Decisions(Answer):
    decisions: List[PastDecision] = Field(..., description="newest first")


class Undone(Answer):
    undone: str


class Flagged(Answer):
    conversation_id: str
    at: float
    text: str = Field(..., description="the buyer's turn, masked")
    intent: str
    agent: str
