"""The console's inbox in one read: every live chat (waiting and assigned) from Redis in one pipelined round trip,
counted by state and priority, filtered, and one page of it with readable titles.

A desk with 1,000 chats waiting and 200 assigned answers in one request (benchmarks/console_inbox.py), where the
console used to ask for each of its chats on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from helpdesk import keys
from helpdesk.desk import Desk

VIEWS = ("waiting", "assigned")  # the paged list: the queue, or every agent's chats (a supervisor's overview)
FILTERS = ("channel", "category", "language", "group")
MAX_PER_PAGE = 200
SHORT_ID = 6  # the last characters of a long id (a web chat's 32) that stand for an anonymous buyer's chat
LONG_ID = 12  # an id longer than this is shortened in a title


@dataclass(frozen=True)
class InboxQuery:
    view: str = "waiting"
    channel: str = ""  # "" = any; the others likewise
    category: str = ""
    language: str = ""
    group: str = ""
    page: int = 1
    per_page: int = 50

    def matches(self, live: Dict[str, str]) -> bool:
        return all(not getattr(self, name) or live.get(name, "") == getattr(self, name) for name in FILTERS)


def title(cid: str, live: Dict[str, str]) -> str:
    """What the agent reads for a chat: the buyer's name when the shop knows it, else its channel and a short id
    ("webchat · 9f3c2a" for a web chat's 32 hex characters, "marketplace · c-1001")."""
    name = (live.get("customer_name") or "").strip()
    if name:
        return name
    channel, _, own = cid.rpartition(":")
    return f"{live.get('channel') or channel or 'chat'} · {own if len(own) <= LONG_ID else own[-SHORT_ID:]}"


def chat_row(cid: str, live: Dict[str, str], now: float, agents: Dict[str, str], position: int = 0) -> Dict[str, Any]:
    created = float(live.get("created_at") or now)
    agent = live.get("agent", "")
    return {
        "conversation_id": cid,
        "title": title(cid, live),
        "state": live.get("state", ""),
        "agent": agent,
        "agent_name": agents.get(agent, agent),
        "channel": live.get("channel", ""),
        "category": live.get("category", ""),
        "language": live.get("language", ""),
        "group": live.get("group", ""),
        "priority": int(live.get("priority") or 0),
        "vip": live.get("vip") == "1",
        "position": position,
        "waiting_s": round(now - created),
        "unreplied": bool(live.get("unreplied_since")),
        "summary": live.get("summary", ""),
    }


def _lives(desk: Desk, cids: List[str]) -> List[Dict[str, str]]:
    pipe = desk.redis.pipeline(transaction=False)
    for cid in cids:
        pipe.hgetall(keys.conversation(cid))
    return pipe.execute()


def _facets(lives: Iterable[Dict[str, str]]) -> Dict[str, List[str]]:
    seen: Dict[str, set] = {name: set() for name in FILTERS}
    for live in lives:
        for name in FILTERS:
            if live.get(name):
                seen[name].add(live[name])
    return {name: sorted(values) for name, values in seen.items()}


def inbox(desk: Desk, query: InboxQuery, me: Optional[str] = None) -> Dict[str, Any]:
    """The counts, the filters' values, the agent's own chats (`me`) and one page of the view."""
    now = desk.clock()
    agents = desk.agents.all()
    names = {str(a["id"]): str(a.get("name") or a["id"]) for a in agents}
    waiting = list(desk.redis.zrange(keys.WAITING, 0, -1))
    assigned = sorted({cid for a in agents for cid in a.get("chats") or []} - set(waiting))
    # the lists and the hashes are read apart: a chat that moved in between is placed by its own hash
    lives = dict(zip(waiting + assigned, _lives(desk, waiting + assigned), strict=True))
    queue = [(c, lives[c]) for c in waiting if lives[c].get("state") == "waiting"]
    held = [(c, lives[c]) for c in [*waiting, *assigned] if lives[c].get("state") == "assigned"]

    by_priority = Counter(str(int(live.get("priority") or 0)) for _, live in queue)
    oldest = max((now - float(live.get("created_at") or now) for _, live in queue), default=0.0)
    counts = {
        "waiting": len(queue),
        "assigned": len(held),
        "unreplied": sum(1 for _, live in held if live.get("unreplied_since")),
        "waiting_by_priority": dict(sorted(by_priority.items(), key=lambda kv: -int(kv[0]))),
        "oldest_wait_s": round(oldest),
    }
    if query.view == "waiting":
        rows = [chat_row(c, live, now, names, position) for position, (c, live) in enumerate(queue, start=1)
                if query.matches(live)]  # fmt: skip
    else:  # the chats that owe an answer first, then the longest open
        matching = [(c, live) for c, live in held if query.matches(live)]
        matching.sort(key=lambda item: (not item[1].get("unreplied_since"), float(item[1].get("created_at") or now)))
        rows = [chat_row(c, live, now, names) for c, live in matching]
    first = (query.page - 1) * query.per_page
    mine = [chat_row(c, live, now, names) for c, live in held if me and live.get("agent") == me]
    return {
        "counts": counts,
        "facets": _facets(live for _, live in queue + held),
        "view": query.view,
        "page": query.page,
        "per_page": query.per_page,
        "total": len(rows),
        "chats": rows[first : first + query.per_page],
        "mine": mine,
        "agents": agents,
        "alerts": desk.alerts.active(),
    }
