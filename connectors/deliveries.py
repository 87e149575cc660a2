"""One buyer message, one turn, whatever happens to the process that handles it.

A channel hears some messages twice: a platform redelivers a webhook, a widget resends after a
reconnect, a REST caller retries after a timeout, or the process that was handling the message was
killed. Each delivery first asks Redis (keys.channel_event):

    new        this process handles it; done() when answered, abandon() when it failed
    busy       another process is handling it now, under a lease that runs out if that process dies
    retake     the lease of a process that took it ran out: it died, maybe after answering
    duplicate  answered before: answer from the transcript (turn_of), never run it again

A process can die after Rasa saved the turn but before done(): so a "retake" first looks in the
transcript for a user message with the same message_id, and handles it only if there is none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

import redis

from helpdesk import keys
from helpdesk.redis_conn import connect
from shop.settings import Settings

log = logging.getLogger(__name__)
MESSAGE_ID_KEY = "message_id"  # in a user message's metadata: the channel's id of that message
TURN_LEASE_S = 30  # a turn takes well under this; a copy waits this long for a process that died mid-turn

# KEYS[1] delivery key; ARGV lease seconds, window seconds. 'new' or 'retake' (the caller now owns it),
# 'duplicate' or 'busy'. A taken delivery holds "processing:<lease end, ms>" for the whole window.
BEGIN = """
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 'duplicate' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if state and tonumber(string.sub(state, 12)) > now then return 'busy' end
redis.call('SET', KEYS[1], 'processing:' .. (now + tonumber(ARGV[1]) * 1000), 'EX', ARGV[2])
if state then return 'retake' end
return 'new'
"""
# KEYS[1] delivery key: give it up (after a failure) only if it is still being processed.
ABANDON = """
local state = redis.call('GET', KEYS[1])
if state and string.sub(state, 1, 11) == 'processing:' then redis.call('DEL', KEYS[1]) end
return 1
"""


class Deliveries:
    def __init__(self, client: redis.Redis, channel: str, window_s: int = 86400, lease_s: int = 120) -> None:
        self.redis = client
        self.channel = channel
        self.window_s = window_s
        self.lease_s = lease_s
        self._begin = client.register_script(BEGIN)
        self._abandon = client.register_script(ABANDON)

    @classmethod
    def connect(cls, channel: str, lease_s: int = TURN_LEASE_S, settings: Optional[Settings] = None) -> "Deliveries":
        """On the Redis the settings name (REDIS_URL; by default the environment's)."""
        settings = settings or Settings.from_env()
        return cls(connect(settings.redis_url, settings.var_dir), channel, lease_s=lease_s)

    def _key(self, delivery_id: str) -> str:
        return keys.channel_event(self.channel, delivery_id)

    def begin(self, delivery_id: str) -> str:
        """'new' or 'retake' (handle it, then call done or abandon), 'duplicate' (handled before) or
        'busy' (another delivery of it is being handled right now)."""
        return self._begin(keys=[self._key(delivery_id)], args=[self.lease_s, self.window_s])

    def done(self, delivery_id: str) -> None:
        self.redis.set(self._key(delivery_id), "done", ex=self.window_s)

    def abandon(self, delivery_id: str) -> None:
        self._abandon(keys=[self._key(delivery_id)])

    def settle(self, delivery_id: str, answered: bool) -> None:
        """done() or abandon(); if Redis cannot take it, the lease runs out and the next copy reads the
        transcript, so this only logs."""
        try:
            self.done(delivery_id) if answered else self.abandon(delivery_id)
        except (redis.RedisError, OSError) as exc:
            log.error("%s delivery %s not marked: %s", self.channel, delivery_id, exc)


def turn_of(events: Iterable[Dict[str, Any]], message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's messages that answered the user message with this message_id, or None if the
    transcript has no such message (it was never handled)."""
    found: Optional[List[Dict[str, Any]]] = None
    for event in events:
        if event.get("event") == "user":
            if found is not None:
                break
            if (event.get("metadata") or {}).get(MESSAGE_ID_KEY) == message_id:
                found = []
        elif event.get("event") == "bot" and found is not None:
            found.append(event)
    return found


async def take(deliveries: Deliveries, delivery_id: str, poll_s: float = 0.2) -> str:
    """begin(), waiting while another process holds the delivery: 'new', 'retake' or 'duplicate', or
    'busy' if the holder is still at it after a lease (slow, not dead: the caller may ask again later)."""
    deadline = time.monotonic() + deliveries.lease_s + 2 * poll_s
    while True:
        state = await asyncio.to_thread(deliveries.begin, delivery_id)
        if state != "busy" or time.monotonic() > deadline:
            return state
        await asyncio.sleep(poll_s)


async def answered_before(tracker_store: Any, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """turn_of() in the stored conversation (Rasa's tracker store)."""
    tracker = await tracker_store.retrieve(sender_id)
    return turn_of((e.as_dict() for e in tracker.events), message_id) if tracker else None


@dataclass(frozen=True)
class Claim:
    handle: bool  # this process answers the message (then done() or abandon())
    busy: bool = False  # another process is still answering it: ask again later
    answers: List[Dict[str, Any]] = field(default_factory=list)  # else: what the transcript says it was answered


async def claim(deliveries: Deliveries, delivery_id: str, tracker_store: Any, sender_id: str, message_id: str) -> Claim:
    """Whether this process should answer a message a channel received, or how it was answered before."""
    state = await take(deliveries, delivery_id)
    if state in ("new", "busy"):
        return Claim(handle=state == "new", busy=state == "busy")
    answered = await answered_before(tracker_store, sender_id, message_id)
    if answered is None:  # retake: the process that took it died before answering
        return Claim(handle=state == "retake")
    if state == "retake":  # ... or after answering, before it could say so
        await asyncio.to_thread(deliveries.done, delivery_id)
    return Claim(handle=False, answers=answered)
