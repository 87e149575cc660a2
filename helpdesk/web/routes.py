"""Every route of the helpdesk service as /openapi.json describes it: who may call it, the body it takes, what
it answers, and the refusals its handler makes itself. openapi.py writes the spec from this table and the
models; the refusals every route of a kind shares (no login, a bad body, Redis away) it adds on its own.
tests/helpdesk/test_service.py checks that the table and the app serve the same routes."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Dict, List, Literal, Optional, Tuple, Type, Union

from helpdesk.web import request_models as ask
from helpdesk.web import response_models as say
from helpdesk.web.fields import STATIC_NAMES, Model
from shop.attachments import EXTENSIONS

Access = Literal["open", "token_or_login", "login"]


@dataclass(frozen=True)
class Media:
    """An answer that is not JSON: its content types (none: an empty body)."""

    types: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    answers: Dict[int, Union[Type[Model], Media]]
    body: Optional[Type[ask.Body]] = None
    refusals: Tuple[str, ...] = ()  # errors.ERRORS codes the handler itself may answer
    access: Access = "token_or_login"  # "login": a console login only (the token is not a person)
    redis: bool = True  # the login check reads Redis, so every route but a few open ones answers 503 without it
    upload: Optional[Media] = None  # a body that is a file itself, of these types (not JSON)
    query: Tuple[str, ...] = ()  # query parameters (openapi.QUERY_PARAMETERS), where a route documents them


PAGE = Media(("text/html",))
STATIC_FILES = Media(
    tuple(sorted({mimetypes.guess_type(name)[0] or "application/octet-stream" for name in STATIC_NAMES}))
)
FILES = Media(tuple(EXTENSIONS))  # shop/attachments.py: what a kept file may be
UPLOAD = Media(("application/octet-stream",))  # a file as a body: its bytes say its type (shop/attachments.py)
CONVERSATION = "/conversations/{conversation_id}"
ACTING = ("missing_field", "not_you")  # the token must name the agent; a login may name only itself
TAKING = ("not_found", "not_assigned", "not_yours")  # what acting on an assigned chat may meet

ROUTES: List[Route] = [
    Route("get", "/health", "Liveness (and Redis reachable)", {200: say.Health}, access="open"),
    Route("get", "/openapi.json", "This document", {200: say.Document}, access="open", redis=False),
    # -- agents and the queue
    Route("get", "/queue", "Waiting conversations in serving order, and every agent", {200: say.Queue}),
    Route(
        "get",
        "/inbox",
        "The console's inbox in one request: counts by state and priority, the oldest wait, the filters' values, "
        "the caller's own chats and one page of ?view=waiting (default, in serving order) or assigned (unanswered "
        "first), filtered by ?channel= ?category= ?language= ?group=, paged by ?page= (from 1) and ?per_page= "
        "(1-200, default 50)",
        {200: say.ChatInbox},
        refusals=("bad_field",),
    ),
    Route(
        "get",
        "/search",
        "Search the handed-off conversations, newest first: ?q= (at most 100 characters) in the buyer's name, "
        "customer id, order number, conversation id, the bot's summary or the words of the messages (those of the "
        "newest 1,000 handoffs that pass the filters); ?from= ?to= (YYYY-MM-DD, inclusive, the shop's time zone), "
        "?state= (waiting, assigned, resolved: without ?q=, the History), ?channel=, ?page= (1-500) and ?per_page= "
        "(1-100, default 20). Snippets are masked.",
        {200: say.SearchResults},
        refusals=("bad_field", "bad_period"),
    ),
    Route("get", "/agents", "Every agent with status, load and chats", {200: say.Agents}),
    Route("get", "/agents/{agent_id}", "One agent", {200: say.Agent}, refusals=("unknown_agent",)),
    Route(
        "post",
        "/agents/{agent_id}/status",
        "Go online, away or offline (offline sends every open chat back to the queue)",
        {200: say.StatusSet},
        ask.Status,
        refusals=("not_you", "unknown_agent"),
    ),
    Route(
        "post",
        "/agents/{agent_id}/heartbeat",
        "Still here (every < 60 s while online or away)",
        {200: say.Heartbeat},
        refusals=("not_you", "unknown_agent", "offline"),
    ),
    # -- handoffs
    Route(
        "post",
        "/handoffs",
        "Queue a conversation for a human; a no-op (200) if it is already waiting or assigned",
        {201: say.Placement, 200: say.Placement},
        ask.Handoff,
    ),
    Route(
        "get",
        CONVERSATION,
        "Live state and the SQL record of its handoffs",
        {200: say.Conversation},
        refusals=("not_found",),
    ),
    Route(
        "post",
        f"{CONVERSATION}/claim",
        "Take a waiting conversation",
        {200: say.Claimed},
        ask.Acting,
        refusals=(*ACTING, "not_found", "not_waiting", "unknown_agent", "agent_not_online", "agent_full"),
    ),
    Route(
        "post",
        f"{CONVERSATION}/reply",
        "The owner's message, checked against the shop's quality rules first (shop.yml quality): a breach of a "
        "block rule is refused (422 qa_blocked, the body's findings say why) and nothing is sent; otherwise it goes "
        "into the Rasa transcript, the reply timers stop, and qa lists the warnings",
        {200: say.Replied},
        ask.Reply,
        refusals=(*ACTING, *TAKING, "qa_blocked", "rasa_unavailable"),
    ),
    Route(
        "post",
        f"{CONVERSATION}/files",
        "The owner sends a photo or file: the body is the file itself (Content-Type its type; ?name= its name, "
        "?agent= with the service token). It is checked (shop.yml attachments: size, type, what the bytes are), "
        "kept, put into the Rasa transcript and sent to the buyer; the reply timers stop",
        {200: say.FileSent},
        refusals=(*ACTING, "bad_field", *TAKING, "bad_body", "file_too_large", "bad_file", "rasa_unavailable"),
        upload=UPLOAD,
        query=("agent", "name"),
    ),
    Route(
        "post",
        f"{CONVERSATION}/typing",
        "The owner is typing: a web-chat buyer sees it (at most once per 2 s; shown is false when dropped, on "
        "another channel, or when Rasa does not answer)",
        {200: say.TypingShown},
        ask.Acting,
        refusals=(*ACTING, *TAKING),
    ),
    Route(
        "post",
        f"{CONVERSATION}/transfer",
        "To an agent (online, with room) or a group (back to the front of the queue)",
        {200: say.Transferred},
        ask.Transfer,
        refusals=(
            *ACTING,
            "not_supervisor",
            *TAKING,
            "same_agent",
            "unknown_agent",
            "agent_not_online",
            "agent_full",
            "unknown_group",
        ),
    ),
    Route(
        "post",
        f"{CONVERSATION}/resolve",
        "Close the handoff; the bot takes over and asks for a rating",
        {200: say.Resolved},
        ask.Supervising,
        refusals=(*ACTING, "not_supervisor", *TAKING, "already_resolved"),
    ),
    # -- the console
    Route("get", "/console", "The agent console (HTML)", {200: PAGE}, access="open", redis=False),
    Route(
        "get",
        "/console/static/{__file_uri__}",
        "The console's script and style",
        {200: STATIC_FILES},
        access="open",
        redis=False,
    ),
    Route(
        "head", "/console/static/{__file_uri__}", "The same, headers only", {200: Media()}, access="open", redis=False
    ),
    Route(
        "post",
        "/auth/login",
        "Log in: sets the session cookie (HttpOnly, Secure, SameSite=Strict); returns the CSRF token that every "
        "later change must send as X-CSRF-Token. 10 tries per minute per address.",
        {200: say.Me},
        ask.Login,
        refusals=("too_many_attempts", "bad_login"),
        access="open",
    ),
    Route("post", "/auth/logout", "End the session", {200: say.LoggedOut}, access="login"),
    Route("get", "/auth/me", "Who is logged in (and the CSRF token)", {200: say.Me}, access="login"),
    Route(
        "get",
        "/live",
        "Websocket: every handoff event as it happens, JSON {kind, conversation_id, agent}",
        {101: Media()},
        refusals=("upgrade_required",),
        access="login",
    ),
    Route(
        "get",
        f"{CONVERSATION}/transcript",
        "The whole transcript from Rasa (buyer, bot and agent turns), the messages the channel finally failed to "
        "deliver, and the channel's state of the chat (a marketplace's read mark)",
        {200: say.Transcript},
        refusals=("rasa_unavailable",),
    ),
    Route(
        "get",
        "/files/{file}",
        "A photo or file of a chat (its name comes in a transcript's attachments)",
        {200: FILES},
        refusals=("not_found",),
    ),
    Route(
        "get",
        f"{CONVERSATION}/customer",
        "The customer panel: profile, VIP, orders with status and tracking, past handoffs",
        {200: say.CustomerPanel},
    ),
    Route(
        "post",
        f"{CONVERSATION}/quick-reply",
        "A quick reply in the buyer's language with {name} {order_no} {tracking_no} {agent} filled",
        {200: say.FilledQuickReply},
        ask.QuickReplyChoice,
        refusals=("unknown_shortcut",),
        access="login",
    ),
    Route(
        "get",
        f"{CONVERSATION}/notes",
        "Internal notes on the conversation (agents only, never shown to the buyer)",
        {200: say.Notes},
        access="login",
    ),
    Route("post", f"{CONVERSATION}/notes", "Add an internal note", {201: say.NoteRecord}, ask.Note, access="login"),
    Route(
        "get", "/quick-replies", "The shop's quick replies and the agent's own", {200: say.QuickReplies}, access="login"
    ),
    Route(
        "post",
        "/quick-replies",
        "Save one of the agent's own quick replies",
        {200: say.QuickReply},
        ask.OwnQuickReply,
        access="login",
    ),
    Route(
        "delete",
        "/quick-replies/{shortcut}",
        "Delete one of the agent's own quick replies",
        {200: say.Deleted},
        refusals=("not_found",),
        access="login",
    ),
    # -- the staffing forecast (helpdesk/web/staffing_api.py) ------------------------------------------------------
    Route(
        "get",
        "/reports/staffing",
        "Agents needed in each hour of the week (Erlang C) to answer ?share= (0..1) of chats within ?within_s= "
        "(1..3600) seconds, from the arrivals and handle time of the last ?weeks= (1..52) whole weeks; each "
        "missing one is shop.yml's staffing value. A console login must be a supervisor's.",
        {200: say.StaffingPlan},
        refusals=("bad_field", "not_supervisor"),
    ),
    # -- Prometheus metrics (helpdesk/web/metrics_api.py) ---------------------------------------------------------
    Route(
        "get",
        "/metrics",
        "The desk in Prometheus's text format, read from Redis at each scrape: the queue, the agents, "
        'assignments and transitions, the outboxes, the resume outbox (README "Metrics"). The service token, '
        "or a supervisor's login.",
        {200: Media(("text/plain; version=0.0.4; charset=utf-8",))},  # helpdesk.metrics.CONTENT_TYPE
        refusals=("not_supervisor",),
    ),
    # -- the QA report (helpdesk/web/quality_api.py) ---------------------------------------------------------------
    Route(
        "get",
        "/reports/quality",
        "What the quality check of agent replies found from ?from= to ?to= (YYYY-MM-DD, inclusive, the shop's time "
        "zone; default the last 7 days): per agent (replies, blocked, warned, per rule), per rule, and the latest "
        "findings. A console login must be a supervisor's.",
        {200: say.QualityReport},
        refusals=("bad_period", "not_supervisor"),
    ),
    # -- the supervisors' figures (helpdesk/web/reports_api.py) -------------------------------------------------------
    Route(
        "get",
        "/reports",
        "The supervisors' figures (README section Reports) from ?from= to ?to= (YYYY-MM-DD, inclusive, the shop's time "
        "zone; default the last 7 days), in total and per ?group_by= day (default, every day of the period), hour "
        "(of day, 00..23), agent, category, channel or language. A console login must be a supervisor's.",
        {200: say.Report},
        refusals=("bad_period", "bad_group_by", "not_supervisor"),
    ),
    # -- the trainer's loop (helpdesk/web/training_api.py) --------------------------------------------------------
    Route(
        "get",
        "/training/inbox",
        "The trainer's inbox: the buyer messages of the last ?since= (24h, 7d, 2w; default 7d, at most 90 days) the "
        "bot did not understand (fallback, out_of_scope, under handoff.unclear_below, before a bot_failed handoff) "
        "or an agent flagged, masked, one entry per distinct text, the most frequent first, without those decided; "
        "at most ?limit= (1..1000, default 200). A console login must be a trainer's or a supervisor's.",
        {200: say.Inbox},
        refusals=("bad_field", "not_trainer", "reviewed_file_edited"),
    ),
    Route(
        "get",
        "/training/intents",
        "The intents a trainer or an agent may pick, by category",
        {200: say.Intents},
        access="login",
    ),
    Route(
        "post",
        "/training/decisions",
        "Decide an inbox entry: an intent (its example is written to the reviewed-examples file, "
        "data/nlu/reviewed.yml by default) or ignore. Either way it leaves the inbox.",
        {201: say.DecisionMade},
        ask.Decision,
        refusals=("not_trainer", "unknown_entry", "already_example", "bad_example", "reviewed_file_edited"),
        access="login",
    ),
    Route(
        "get",
        "/training/decisions",
        "The latest decisions, newest first (?limit= 1..1000, default 50)",
        {200: say.Decisions},
        refusals=("bad_field", "not_trainer"),
    ),
    Route(
        "delete",
        "/training/decisions/{key}",
        "Undo a decision: its example leaves the file, the entry returns to the inbox",
        {200: say.Undone},
        refusals=("not_trainer", "not_found", "reviewed_file_edited"),
        access="login",
    ),
    Route(
        "post",
        f"{CONVERSATION}/flags",
        'An agent\'s "the bot misunderstood this" on a buyer turn (its "at" in the transcript), with the intent it '
        "should have been; flagging the same turn again replaces the intent. The text is the stored turn's, masked.",
        {201: say.Flagged},
        ask.Flag,
        refusals=("not_found", "rasa_unavailable"),
        access="login",
    ),
]
