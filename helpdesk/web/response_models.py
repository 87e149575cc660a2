"""What the helpdesk answers, as /openapi.json declares it: one model per JSON body a handler sends.

The handlers build plain dicts; tests/helpdesk/test_fuzz.py checks every answer against these models. A body the
handler builds key by key forbids other keys; a Redis hash passed on as it is (an agent, a live handoff) allows
more string fields.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Literal, Optional, Union

from pydantic import Extra, Field

from helpdesk.agents import STATUSES
from helpdesk.web.fields import Model

State = Literal["waiting", "assigned", "resolved"]
Presence = Literal[STATUSES]


class Answer(Model):
    class Config:
        extra = Extra.forbid


class Error(Answer):
    error: str = Field(..., description="a code from the list of this status")
    reason: str = Field(..., description="for people: what went wrong")
    owner: str = Field(None, description="the agent who has the conversation (not_yours, not_waiting)")


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
    text: str
    at: Optional[float] = Field(...)
    agent: Optional[str] = Field(None, description="the agent's id on an agent turn, null on a bot turn")


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
    channel_state: Dict[str, str] = Field(..., description="a marketplace's read_up_to, closed_at, ... (ms)")


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
