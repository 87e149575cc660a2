"""The JSON bodies the helpdesk takes: one model per route, checked before a handler acts on it (validation.py)
and written into /openapi.json (openapi.py), so the spec says exactly what the handlers accept.

An optional field may be absent or null (both mean "not given"); unknown fields are ignored. A field's own
refusal code, where it is not bad_field, is in the model's `codes`; "__root__" names the refusal of its rule
across fields (a root validator's ValueError).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, Literal, Optional

from pydantic import ConstrainedFloat, Extra, Field, StrictBool, conint, constr, root_validator, validator

from helpdesk.agents import STATUSES
from helpdesk.training.inbox import intents
from helpdesk.web.fields import (
    AgentId,
    AgentText,
    ConversationId,
    GroupName,
    Label,
    Matching,
    Model,
    PersonName,
    Shortcut,
    Text,
)
from shop import formats

MAX_PASSWORD = 200  # scrypt hashes at most this much of a password


class CustomerId(Text):
    max_length = formats.MAX_CUSTOMER_ID


class Summary(Text):
    max_length = formats.MAX_AGENT_TEXT


class SomeText(Text):
    min_length = 1


class Template(Text):
    max_length = 2000  # a quick reply: its filled-in values must still fit in one reply


class Body(Model):
    codes: ClassVar[Dict[str, str]] = {}  # field -> its refusal code for a wrong value (not bad_field)

    class Config:
        extra = Extra.ignore


def exactly_one_of(*names: str) -> Dict[str, Any]:
    """OpenAPI for "exactly one of these fields is given": present and not null (a string, in OpenAPI 3.0)."""
    return {"oneOf": [{"required": [n], "properties": {n: {"type": "string"}}} for n in names]}


# -- the queue ---------------------------------------------------------------------------------
class Handoff(Body):
    """Queue a conversation for a human (from another channel's bot, a web form)."""

    conversation_id: ConversationId
    channel: Optional[Label] = Field(None, example="rest")
    customer: Optional[CustomerId] = Field(None, description="the verified customer id; absent for an anonymous buyer")
    customer_name: Optional[PersonName] = Field(None, description="the buyer's name, if the shop knows it: the title")
    language: Literal["en", "zh"] = "en"
    category: Optional[Label] = Field(None, description='default "human"')
    priority: conint(strict=True, ge=-100, le=100) = Field(0, description="higher is served first")
    vip: Optional[StrictBool] = None
    reason: Optional[Label] = Field(None, description='default "requested"')
    order_number: Optional[Label] = Field(None, example="A10002")
    summary: Optional[Summary] = Field(None, description="what the bot saw, for the agent's first glance")

    codes: ClassVar[Dict[str, str]] = {"conversation_id": "bad_conversation_id"}


class Acting(Body):
    """Who acts: the service token names the agent; a console login acts as itself (naming another is not_you)."""

    agent: Optional[AgentId] = Field(None, description="the acting agent: required with the service token")


class Reply(Acting):
    text: AgentText

    codes: ClassVar[Dict[str, str]] = {"text": "bad_text"}


class Supervising(Acting):
    as_supervisor: Optional[StrictBool] = Field(
        None, description="act on another agent's conversation (role supervisor only)"
    )


class Transfer(Supervising):
    to_agent: Optional[AgentId] = Field(None, description="an agent who is online and has room")
    to_group: Optional[GroupName] = Field(None, description="back to the front of the queue, for that group")

    rules: ClassVar[Dict[str, Any]] = exactly_one_of("to_agent", "to_group")
    codes: ClassVar[Dict[str, str]] = {"__root__": "need_agent_or_group"}

    @root_validator(skip_on_failure=True)
    def one_target(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (values.get("to_agent") is None) == (values.get("to_group") is None):
            raise ValueError("give exactly one of to_agent and to_group")
        return values


class Status(Body):
    status: Literal[STATUSES] = Field(..., description="offline sends every open chat back to the queue")

    codes: ClassVar[Dict[str, str]] = {"status": "bad_status"}


# -- the console -------------------------------------------------------------------------------
class Login(Body):
    agent: SomeText = Field(..., description="an agent id; anything else is a bad_login, like a wrong password")
    password: constr(strict=True, min_length=1, max_length=MAX_PASSWORD)


class Note(Body):
    text: AgentText

    codes: ClassVar[Dict[str, str]] = {"text": "bad_text"}


class QuickReplyChoice(Body):
    shortcut: Shortcut


class OwnQuickReply(Body):
    """One of the agent's own quick replies: the text in en, zh or both (one stands in for the other)."""

    shortcut: Shortcut
    en: Optional[Template] = None
    zh: Optional[Template] = None

    rules: ClassVar[Dict[str, Any]] = {
        "anyOf": [{"required": [n], "properties": {n: {"type": "string", "minLength": 1}}} for n in ("en", "zh")]
    }
    codes: ClassVar[Dict[str, str]] = {"__root__": "missing_field"}

    @root_validator(skip_on_failure=True)
    def some_text(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if not values.get("en") and not values.get("zh"):
            raise ValueError("give the text in en, zh or both")
        return values


# -- the trainer's loop (helpdesk/web/training_api.py) ------------------------------------------
class EntryKey(Matching):
    """An inbox entry's key (helpdesk/training/harvest.py key_of)."""

    regex = re.compile(r"^[0-9a-f]{16}$")
    example = "3f2a9c01d4e5b6a7"


# what a trainer or an agent may pick: the domain's intents (helpdesk/training/inbox.py intents())
IntentName = Literal[tuple(item["intent"] for item in intents())]


class Decision(Body):
    """A trainer's decision on an inbox entry: the intent it is an example of, or ignore."""

    key: EntryKey
    intent: Optional[IntentName] = None
    ignore: Optional[Literal[True]] = None

    rules: ClassVar[Dict[str, Any]] = {  # given and not null (OpenAPI 3.0's nullable fields are absent from a branch)
        "oneOf": [
            {"required": [name], "properties": {name: {"type": kind}}}
            for name, kind in (("intent", "string"), ("ignore", "boolean"))
        ]  # fmt: skip
    }
    codes: ClassVar[Dict[str, str]] = {"intent": "unknown_intent", "__root__": "need_intent_or_ignore"}

    @root_validator(skip_on_failure=True)
    def one_choice(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (values.get("intent") is None) == (values.get("ignore") is None):
            raise ValueError("give exactly one of intent and ignore")
        return values


class UnixTime(ConstrainedFloat):
    """Seconds since 1970 (a JSON number: integer or not; NaN and infinities are not times)."""

    ge = 0
    le = 1e11  # (year 5138) OpenAPI 3.0 has no exclusiveMaximum number


class Flag(Body):
    """An agent's "the bot misunderstood this" on a buyer's turn (its "at" in the transcript)."""

    at: UnixTime = Field(..., description="the buyer turn's time, as the transcript gives it")
    intent: IntentName

    codes: ClassVar[Dict[str, str]] = {"intent": "unknown_intent"}

    @validator("at", pre=True)
    def a_number(cls, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)):  # pydantic would read "17" as 17.0
            raise TypeError("a JSON number")
        return v
