"""Every SQL model of the helpdesk, in one place (SQLite by default, PostgreSQL by HELPDESK_DATABASE_URL).

handoff_events holds every event the Lua scripts emitted, in stream order; handoffs holds one row
per handoff with its timestamps and its live fields as of the last event, which is what metrics read
and what rebuild.py restores Redis from; conversations holds one row per buyer session, handed off or
not (the reports' denominator). Times are Unix seconds (UTC). The agents' console logins, notes,
personal quick replies and the quality check's findings live beside them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Text, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import declarative_base, sessionmaker

from helpdesk.scripts import queue_score
from shop import formats
from shop.db import make_engine, session_maker

Base = declarative_base()


class Handoff(Base):
    __tablename__ = "handoffs"

    id = Column(String(40), primary_key=True)  # the queued event's stream id
    conversation_id = Column(String(255), index=True, nullable=False)
    channel = Column(String(formats.MAX_LABEL), nullable=False, default="")
    customer = Column(String(formats.MAX_CUSTOMER_ID), nullable=False, default="")
    customer_name = Column(String(formats.MAX_NAME))  # the buyer's name in the shop's data: the chat's title
    language = Column(String(8), nullable=False, default="en")
    category = Column(String(formats.MAX_LABEL), nullable=False, default="")
    priority = Column(Integer, nullable=False, default=0)
    vip = Column(Boolean, nullable=False, default=False)
    reason = Column(String(formats.MAX_LABEL), nullable=False, default="")
    order_number = Column(String(formats.MAX_LABEL))
    summary = Column(Text, nullable=False, default="")
    created_at = Column(Float, index=True, nullable=False)
    # live fields, as of the last event
    state = Column(String(16), index=True, nullable=False)  # waiting | assigned | resolved
    agent = Column(String(40))
    group = Column("group_name", String(formats.MAX_LABEL))
    front = Column(Boolean, nullable=False, default=False)  # sent back to the queue: ahead of new chats
    assigned_at = Column(Float)
    unreplied_since = Column(Float)
    reminded_at = Column(Float)
    # for metrics
    first_assigned_at = Column(Float)
    first_agent = Column(String(40))  # who got the chat first: the reports count a handoff's figures to them
    first_reply_at = Column(Float, index=True)  # the FRT alert reads the chats first answered in the last hour
    resolved_at = Column(Float, index=True)  # the reports join only handoffs open in their period
    resolved_by = Column(String(40))
    rating = Column(Integer)

    @property
    def score(self) -> float:
        return queue_score(self.priority, self.created_at, self.front)


class HandoffEvent(Base):
    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True, autoincrement=True)  # copy order = stream order
    stream_id = Column(String(40), unique=True, nullable=False)
    handoff_id = Column(String(40), index=True)
    conversation_id = Column(String(255), nullable=False, default="")
    kind = Column(String(32), nullable=False)
    agent = Column(String(40), nullable=False, default="")
    at = Column(Float, nullable=False)
    detail = Column(Text, nullable=False, default="{}")
    # first_reply: since the agent got the chat; replied: since the buyer's unanswered message (s)
    wait_s = Column(Float)

    # The reports read the period's events of a kind with their agent, wait and handoff from this index alone
    # (PostgreSQL: an index-only scan; benchmarks/reports.py measured 184 -> 38 ms for a month of a busy shop's
    # replies). SQLite ignores INCLUDE and indexes (kind, at).
    __table_args__ = (
        Index("ix_handoff_events_kind_at_covering", "kind", "at", postgresql_include=["agent", "wait_s", "handoff_id"]),
    )


class Conversation(Base):
    """One buyer session (a Rasa session: it ends after the domain's session_expiration_time of silence),
    recorded from the helpdesk event broker whether or not it reached a person."""

    __tablename__ = "conversations"

    id = Column(String(40), primary_key=True)  # the stream id of its "conversation" event
    conversation_id = Column(String(255), index=True, nullable=False)  # Rasa's sender id
    started_at = Column(Float, index=True, nullable=False)
    channel = Column(String(formats.MAX_LABEL), nullable=False, default="")
    language = Column(String(8), nullable=False, default="")
    category = Column(String(formats.MAX_LABEL), nullable=False, default="")  # the first one asked about
    customer = Column(String(formats.MAX_CUSTOMER_ID), nullable=False, default="")  # channel-verified buyer
    order_number = Column(String(formats.MAX_LABEL))  # the first order the buyer proved
    handoff_id = Column(String(40))  # the session's first handoff; None: the bot closed it alone


class QaFinding(Base):
    """What the quality check found in an agent's reply (helpdesk/quality.py): one row per rule broken."""

    __tablename__ = "qa_findings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(Float, index=True, nullable=False)
    agent = Column(String(40), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    rule = Column(String(40), nullable=False)
    action = Column(String(8), nullable=False)  # block | warn
    excerpt = Column(Text, nullable=False, default="")  # the words that broke it


class AgentAccount(Base):
    """An agent's console password, as a scrypt hash (the agents themselves are in shop.yml)."""

    __tablename__ = "agent_accounts"

    agent_id = Column(String(40), primary_key=True)
    password_hash = Column(String(200), nullable=False)
    updated_at = Column(Float, nullable=False)


class ConversationNote(Base):
    """An agent's internal note on a conversation: for colleagues, never shown to the buyer."""

    __tablename__ = "conversation_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), index=True, nullable=False)
    agent_id = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)
    at = Column(Float, nullable=False)


class PersonalQuickReply(Base):
    """One of an agent's own quick replies (the shop's are in shop.yml)."""

    __tablename__ = "agent_quick_replies"

    agent_id = Column(String(40), primary_key=True)
    shortcut = Column(String(30), primary_key=True)
    en = Column(Text, nullable=False, default="")
    zh = Column(Text, nullable=False, default="")


class ReportDay(Base):
    """The additive pieces of the report figures (helpdesk/reports/figures.py Tally) of one settled local day of the
    shop, per hour (dim "hour"), for the whole day (dim "all", hour -1) and per agent, category, channel and language
    (hour -1: no report groups by hour and agent at once). Written by helpdesk/reports/rollup.py, a day whole in one
    transaction; the percentiles come from log-scale histograms (JSON {bucket: count})."""

    __tablename__ = "report_days"

    day = Column(Integer, primary_key=True)  # local days since 1970-01-01 (LocalTime.day)
    hour = Column(Integer, primary_key=True)  # 0-23, or -1: the whole day
    dim = Column(String(16), primary_key=True)  # hour | all | agent | category | channel | language
    key = Column(String(formats.MAX_LABEL), primary_key=True)  # the agent, category, ... ("" for hour and all)
    conversations = Column(Integer, nullable=False, default=0)
    contained = Column(Integer, nullable=False, default=0)
    reasons = Column(Text, nullable=False, default="{}")  # handoff reason -> conversations
    handoffs = Column(Integer, nullable=False, default=0)
    within = Column(Text, nullable=False, default="{}")  # fast_reply_s -> handoffs first answered that soon
    resolved = Column(Integer, nullable=False, default=0)
    took_sum = Column(Float, nullable=False, default=0.0)
    rating_sum = Column(Float, nullable=False, default=0.0)
    ratings = Column(Integer, nullable=False, default=0)
    waits = Column(Integer, nullable=False, default=0)  # agents' response waits: how many, their sum
    wait_sum = Column(Float, nullable=False, default=0.0)
    messages = Column(Integer, nullable=False, default=0)
    agents = Column(Text, nullable=False, default="{}")  # agent -> messages
    agent_days = Column(Integer, nullable=False, default=0)  # agents with a message: the row's agent-days
    reassignments = Column(Integer, nullable=False, default=0)
    reminders = Column(Integer, nullable=False, default=0)
    frt_hist = Column(Text, nullable=False, default="{}")
    took_hist = Column(Text, nullable=False, default="{}")
    wait_hist = Column(Text, nullable=False, default="{}")
    buyers = Column(Integer)  # conversion; NULL: the shop could not list its orders when the day was rolled up
    converted = Column(Integer)


class ReportDayDone(Base):
    """A local day rolled up into report_days (it may have no rows: nothing happened), and with which settings."""

    __tablename__ = "report_days_done"

    day = Column(Integer, primary_key=True)
    signature = Column(String(200), nullable=False)  # time zone, reply-rate limits, conversion window, buckets
    conversion = Column(Boolean, nullable=False)  # False: buyers/converted unknown (the shop could not say)
    at = Column(Float, nullable=False)


class TrainingFlag(Base):
    """An agent's "the bot misunderstood this" on a buyer's line of a transcript, with the intent it should have been
    (helpdesk/training/flags.py). The text is masked (shop/masking.py) and taken from the stored turn, never from
    the agent's request."""

    __tablename__ = "training_flags"
    __table_args__ = (Index("ix_training_flags_turn", "conversation_id", "turn_at", unique=True),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False)
    turn_at = Column(Float, nullable=False)  # the buyer turn's timestamp in the tracker
    key = Column(String(16), index=True, nullable=False)  # the masked text's key (helpdesk/training/inbox.py)
    text = Column(Text, nullable=False)
    guessed = Column(String(formats.MAX_LABEL), nullable=False, default="")  # what the bot had made of it
    intent = Column(String(formats.MAX_LABEL), nullable=False)
    agent = Column(String(40), nullable=False)
    at = Column(Float, index=True, nullable=False)


class TrainingDecision(Base):
    """A trainer's decision on one entry of the inbox: an intent (the example was written to the reviewed-examples
    file) or "ignore". A decided text leaves the inbox for good, until the decision is undone."""

    __tablename__ = "training_decisions"

    key = Column(String(16), primary_key=True)
    text = Column(Text, nullable=False)  # masked, as the trainer saw it
    decision = Column(String(formats.MAX_LABEL), nullable=False)  # an intent, or "ignore"
    example = Column(Text)  # the line written to the file (NULL for ignore)
    trainer = Column(String(40), nullable=False)
    at = Column(Float, index=True, nullable=False)


# columns added to a table after its first release: a record made by an earlier kefu gets them at start
ADDED_COLUMNS = {
    "handoff_events": {"wait_s": "FLOAT"},
    "handoffs": {"first_agent": "VARCHAR(40)", "customer_name": f"VARCHAR({formats.MAX_NAME})"},
    "report_days": {"agent_days": "INTEGER NOT NULL DEFAULT 0"},  # rows without it are rolled up again (VERSION 2)
}


# indexes that a later one replaced: a record made by an earlier kefu drops them at start
REPLACED_INDEXES = {"handoff_events": ["ix_handoff_events_kind_at"]}


def create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    inspector = inspect(engine)
    for table, columns in ADDED_COLUMNS.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        with engine.begin() as conn:
            for name, kind in columns.items():
                if name not in have:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
    _update_indexes(engine)


def _update_indexes(engine: Engine) -> None:
    """The declared indexes a record made by an earlier kefu lacks (create_all makes missing tables with theirs,
    but never adds an index to a table that exists), and without the ones they replaced."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        have = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                try:
                    index.create(engine)
                except DBAPIError:  # another process starting at the same time made it first
                    if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                        raise
        for name in REPLACED_INDEXES.get(table.name, []):
            if name in have:
                with engine.begin() as conn:
                    conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def open_record(url: str) -> sessionmaker:
    """Sessions of the record at url, its tables created if they are not there yet."""
    engine = make_engine(url)
    create_tables(engine)
    return session_maker(engine)
