"""One buyer message, one turn, whatever happens to the process that handles it.

A channel hears some messages twice: a platform redelivers a webhook, a widget resends after a
reconnect, a REST caller retries after a timeout, or the process that was handling the message was
killed. Each delivery first asks Redis (keys.channel_event):

    new        this process handles it; done() when answered, abandon() when it failed
    busy       another process is handling it now, under a lease that runs out if that process dies
    duplicate  answered before: answer from the transcript (turn_of), never run it again

A process can die after Rasa saved the turn but before done(): so a delivery that gets "new" after
a lease ran out first looks in the transcript for a user message with the same message_id.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Iterable, List, Optional

import redis

from helpdesk import keys

MESSAGE_ID_KEY = "message_id"  # in a user message's metadata: the channel's id of that message

# KEYS[1] delivery key; ARGV lease seconds. 'new' (the caller now owns it), 'duplicate' or 'busy'.
BEGIN = """
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 'duplicate' end
if state then return 'busy' end
redis.call('SET', KEYS[1], 'processing', 'EX', ARGV[1])
return 'new'
"""
# KEYS[1] delivery key: give it up (after a failure) only if it is still being processed.
ABANDON = """
if redis.call('GET', KEYS[1]) == 'processing' then redis.call('DEL', KEYS[1]) end
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

    def _key(self, delivery_id: str) -> str:
        return keys.channel_event(self.channel, delivery_id)

    def begin(self, delivery_id: str) -> str:
        """'new' (handle it, then call done or abandon), 'duplicate' (handled before) or 'busy'
        (another delivery of it is being handled right now)."""
        return self._begin(keys=[self._key(delivery_id)], args=[self.lease_s])

    def done(self, delivery_id: str) -> None:
        self.redis.set(self._key(delivery_id), "done", ex=self.window_s)

    def abandon(self, delivery_id: str) -> None:
        self._abandon(keys=[self._key(delivery_id)])


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
    """begin(), waiting while another process holds the delivery: 'new' or 'duplicate', or 'busy' if
    the holder is still at it after a lease (it is slow, not dead: the caller may ask again later)."""
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
