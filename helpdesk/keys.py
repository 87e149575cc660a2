"""Every Redis key kefu uses, in one place: the live handoff state, console logins, and the channels' own.

All keys share the hash tag {kefu}, so they live in one Redis Cluster slot and a Lua script may touch
any of them. The Lua scripts get their key names from here too (lua_names), never by writing them.

{kefu}:conv:{id}          hash    a handoff: the record (payloads.HandoffRecord) + live fields
                                  (state waiting|assigned|resolved, agent, assigned_at,
                                  first_reply_at, unreplied_since, reminded_at, group, score)
{kefu}:queue:waiting      zset    waiting conversation ids; lower score is served first
{kefu}:agent:{id}         hash    an agent: name, capacity, languages, categories, groups, tier, status
{kefu}:agent:{id}:chats   set     the conversations the agent owns (its load is the set's size)
{kefu}:rotation           zset    every agent, by when they were last assigned (round robin)
{kefu}:rotation_seq       string  the counter behind that order
{kefu}:presence           zset    online/away agents by their last heartbeat
{kefu}:timers             zset    "remind|{id}" / "reassign|{id}" by deadline
{kefu}:events             stream  every transition, until the helpdesk has copied it into SQL
{kefu}:live               pub/sub the same events, for consoles that are open now
{kefu}:resume             zset    resolved conversations whose bot has not been resumed yet
{kefu}:handle_times       list    the last 50 handling times (s), for the wait estimate
{kefu}:epoch              string  set when the state was built; missing means Redis lost its data
{kefu}:alerts             hash    operator alerts by name: JSON {text, since, last} (helpdesk/alerts.py)
{kefu}:alerts:record      hash    the alert rules' last figures from the SQL record, and when they were read
{kefu}:alerts:out         list    the alert webhook's outbox: delivery ids, oldest first (helpdesk/alert_webhook.py)
{kefu}:alerts:out:msg     hash    delivery id -> JSON {alert, state, text, value, threshold, since, at, attempts, due}
{kefu}:alerts:out:seq     string  the counter behind the delivery ids
{kefu}:alerts:out:failed  list    deliveries dropped after the last try (newest first, 50)
{kefu}:session:{id}       hash    the buyer's current conversation (one Rasa session): the id of its record,
                                  and what is known of it (category, customer, order_number); expires with
                                  the session (domain session_expiration_time)
{kefu}:lock:{name}        string  short leases (the event copier, the rebuild, a resume)
{kefu}:login:{token}      hash    a console login (agent, role, csrf); expires after 8 h idle
{kefu}:login_tries:{ip}   string  login attempts from one address in the current minute
{kefu}:delivery_failed:{id} list  messages a channel finally failed to deliver to the buyer (newest first, 50)
{kefu}:webchat:socketio              pub/sub socket.io's Redis manager: an emit reaches the process holding the socket
{kefu}:rasa_lock:lock:{conversation} string  Rasa's turn lock (connectors/stores.py)
{kefu}:{channel}:event:{delivery}    string  "processing" while one process handles a webhook event or a
                                             message (connectors/deliveries.py), then "done"
{kefu}:{channel}:conv:{c}            hash    a channel's own state of conversation "{channel}:{c}" (read marks)
{kefu}:{channel}:out:q:{c}           list    a channel's outbox: message ids of one conversation, oldest first
{kefu}:{channel}:out:msg:{message}   hash    one outgoing message: conversation, sender_id, body, attempts
{kefu}:upload:{file}                 string  a photo a web-chat buyer uploaded: JSON {conversation, type, size,
                                             name}, until a day passes (connectors/files.py)
{kefu}:uploads:{conversation}        string  uploads of one conversation in the current hour (shop.yml attachments)
{kefu}:{channel}:out:due             zset    conversations by when their oldest message may be sent (ms)
{kefu}:email:thread:{conversation}   hash    an email conversation ("email:<h>"): the buyer's address and name, the
                                             subject, the message we answer, its References, the language, the
                                             options of our last mail (connectors/email/threads.py)
{kefu}:email:msgid:{h}               string  a mail of a thread (ours or the buyer's; h: a hash of its Message-ID
                                             and the buyer's address) -> the conversation id, for 90 days
{kefu}:outbox_failed                 hash    per channel with an outbox: messages it finally failed to deliver
                                             (a counter for /metrics; the field exists from the first message)
{kefu}:event_counts                  hash    event kind -> transitions so far, for /metrics (helpdesk/lua/common.lua
                                             emit; a transfer to a group counts as transferred_to_group)
"""

from __future__ import annotations

PREFIX = "{kefu}"
WAITING = f"{PREFIX}:queue:waiting"
ROTATION = f"{PREFIX}:rotation"
ROTATION_SEQ = f"{PREFIX}:rotation_seq"
PRESENCE = f"{PREFIX}:presence"
TIMERS = f"{PREFIX}:timers"
EVENTS = f"{PREFIX}:events"
LIVE = f"{PREFIX}:live"
RESUME = f"{PREFIX}:resume"
HANDLE_TIMES = f"{PREFIX}:handle_times"
EPOCH = f"{PREFIX}:epoch"
ALERTS = f"{PREFIX}:alerts"
ALERT_FIGURES = f"{PREFIX}:alerts:record"
ALERT_OUTBOX = f"{PREFIX}:alerts:out"
ALERT_DELIVERIES = f"{PREFIX}:alerts:out:msg"
ALERT_OUTBOX_SEQ = f"{PREFIX}:alerts:out:seq"
ALERT_FAILED = f"{PREFIX}:alerts:out:failed"


# -- the live handoff state -----------------------------------------------------------------------
def conversation(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}"


def agent(agent_id: str) -> str:
    return f"{PREFIX}:agent:{agent_id}"


def chats(agent_id: str) -> str:
    return f"{PREFIX}:agent:{agent_id}:chats"


def session(conversation_id: str) -> str:
    return f"{PREFIX}:session:{conversation_id}"


def lock(name: str) -> str:
    return f"{PREFIX}:lock:{name}"


# -- the console ----------------------------------------------------------------------------------
def login(token: str) -> str:
    return f"{PREFIX}:login:{token}"


def login_tries(remote: str) -> str:
    return f"{PREFIX}:login_tries:{remote}"


# -- channels -------------------------------------------------------------------------------------
def delivery_failed(conversation_id: str) -> str:
    return f"{PREFIX}:delivery_failed:{conversation_id}"


WEBCHAT_SOCKETIO = f"{PREFIX}:webchat:socketio"
RASA_LOCK_PREFIX = f"{PREFIX}:rasa_lock:"  # Rasa's RedisLockStore adds "lock:{conversation id}"


def channel_event(channel: str, event_id: str) -> str:
    return f"{PREFIX}:{channel}:event:{event_id}"


def channel_conversation(conversation_id: str) -> str:
    """What a channel keeps about a conversation (connectors/marks.py): "<channel>:<its id>", or the id the
    web chat made (no channel in it)."""
    channel, colon, own_id = conversation_id.partition(":")
    return f"{PREFIX}:{channel}:conv:{own_id}" if colon else f"{PREFIX}:chat:conv:{conversation_id}"


def typing_notice(conversation_id: str) -> str:
    """Set for a moment after an agent's "typing" went to the buyer: the next ones within it are dropped."""
    return f"{PREFIX}:typing:{conversation_id}"


def outbox_queue(channel: str, conversation: str) -> str:
    return f"{PREFIX}:{channel}:out:q:{conversation}"


def outbox_message(channel: str, message_id: str) -> str:
    return f"{PREFIX}:{channel}:out:msg:{message_id}"


def outbox_due(channel: str) -> str:
    return f"{PREFIX}:{channel}:out:due"


def upload(file_name: str) -> str:
    return f"{PREFIX}:upload:{file_name}"


def uploads(conversation_id: str) -> str:
    return f"{PREFIX}:uploads:{conversation_id}"


def email_thread(conversation: str) -> str:
    return f"{PREFIX}:email:thread:{conversation}"


def email_message(digest: str) -> str:
    return f"{PREFIX}:email:msgid:{digest}"


OUTBOX_FAILED = f"{PREFIX}:outbox_failed"  # channel -> messages finally not delivered (helpdesk/metrics.py reads it)
EVENT_COUNTS = f"{PREFIX}:event_counts"  # event kind -> how many the scripts emitted (helpdesk/metrics.py reads it)


# -- for the Lua scripts --------------------------------------------------------------------------
def _lua_prefix_function(name: str, template) -> str:
    """A Lua function that builds the key template(ID) by concatenation: the text around the id comes from here."""
    head, _, tail = template("\0").partition("\0")
    tail_expr = f" .. '{tail}'" if tail else ""
    return f"local function {name}(id) return '{head}' .. id{tail_expr} end"


def lua_names() -> str:
    """Lua definitions of every key name the handoff scripts use (prepended to helpdesk/lua/common.lua)."""
    constants = {
        "WAITING": WAITING, "ROTATION": ROTATION, "ROTATION_SEQ": ROTATION_SEQ, "PRESENCE": PRESENCE,
        "TIMERS": TIMERS, "EVENTS": EVENTS, "LIVE": LIVE, "RESUME": RESUME, "HANDLE_TIMES": HANDLE_TIMES,
        "EVENT_COUNTS": EVENT_COUNTS,
        "CONV_PATTERN": conversation("*"), "ALERTS": ALERTS, "ALERT_OUTBOX": ALERT_OUTBOX,
        "ALERT_DELIVERIES": ALERT_DELIVERIES, "ALERT_OUTBOX_SEQ": ALERT_OUTBOX_SEQ,
    }  # fmt: skip
    lines = [f"local {name} = '{value}'" for name, value in constants.items()]
    lines += [
        _lua_prefix_function("conv_key", conversation),
        _lua_prefix_function("agent_key", agent),
        _lua_prefix_function("chats_key", chats),
        _lua_prefix_function("session_key", session),
    ]
    return "\n".join(lines) + "\n"
