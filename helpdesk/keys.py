"""Every Redis key of the live handoff state, in one place.

All keys share the hash tag {kefu}, so they live in one Redis Cluster slot and the Lua
scripts (helpdesk/lua/) may touch any of them. common.lua builds the same names.

{kefu}:conv:{id}          hash    a handoff: the record (records.HandoffRecord) + live fields
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
{kefu}:lock:{name}        string  short leases (the event copier, the rebuild)
{kefu}:session:{token}    hash    a console login (agent, role, csrf); expires after 8 h idle
{kefu}:delivery_failed:{id} list  messages a channel finally failed to deliver to the buyer (newest first, 50)
{kefu}:{channel}:conv:{c}  hash    a channel's own state of conversation "{channel}:{c}" (a marketplace's read mark)
"""

PREFIX = "{kefu}"
WAITING = f"{PREFIX}:queue:waiting"
ROTATION = f"{PREFIX}:rotation"
PRESENCE = f"{PREFIX}:presence"
TIMERS = f"{PREFIX}:timers"
EVENTS = f"{PREFIX}:events"
LIVE = f"{PREFIX}:live"
RESUME = f"{PREFIX}:resume"
HANDLE_TIMES = f"{PREFIX}:handle_times"
EPOCH = f"{PREFIX}:epoch"


def conversation(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}"


def agent(agent_id: str) -> str:
    return f"{PREFIX}:agent:{agent_id}"


def chats(agent_id: str) -> str:
    return f"{PREFIX}:agent:{agent_id}:chats"


def lock(name: str) -> str:
    return f"{PREFIX}:lock:{name}"


def delivery_failed(conversation_id: str) -> str:
    return f"{PREFIX}:delivery_failed:{conversation_id}"


def channel_conversation(conversation_id: str) -> str:
    """What a channel keeps about conversation "<channel>:<its id>" (connectors/marketplace/inbox.py)."""
    channel, _, own_id = conversation_id.partition(":")
    return f"{PREFIX}:{channel}:conv:{own_id}"
