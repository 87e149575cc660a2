"""Our messages to marketplace buyers: a durable outbox in Redis and the sender that drains it.

Per channel, in Redis (names in helpdesk/keys.py): a list of message ids per conversation, oldest first
(outbox_queue); a hash per message with its conversation, sender_id, body and attempts (outbox_message);
and a sorted set of conversations by when their oldest message may be tried (outbox_due).

Only the oldest message of a conversation is ever in flight, so a buyer gets replies in order even
while one is being retried. Claiming a conversation leases it (its due time moves past the lease),
so several processes can send without sending one message twice; a process that dies mid-send loses
its lease and the message is tried again with the same idempotency key, which the marketplace uses to
drop the second copy. 5xx, 408, 429, timeouts and refused connections are retried with exponential
backoff; other 4xx and the last failed try end in a delivery failure: logged, kept under
keys.delivery_failed and published to the consoles, and counted per channel (keys.OUTBOX_FAILED, for /metrics).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set

import aiohttp
import redis

from connectors.marketplace.wire import Wire
from helpdesk import keys

log = logging.getLogger(__name__)

# The scripts get two key prefixes: Q (+ conversation) names a conversation's queue, M (+ message id) a message.
PUSH = """
redis.call('HSET', KEYS[1], 'conversation', ARGV[2], 'sender_id', ARGV[3], 'body', ARGV[4], 'attempts', 0)
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[2])
redis.call('HSETNX', KEYS[4], ARGV[6], 0)  -- the channel has an outbox: /metrics reports it from now on
return 1
"""

# KEYS[1] due; ARGV now, lease ms, limit, Q, M. Each row: conversation, message id, sender_id, body, attempts.
CLAIM = """
local rows = {}
local now = tonumber(ARGV[1])
for _, conv in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local head = redis.call('LINDEX', ARGV[4] .. conv, 0)
  if head then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), conv)
    local m = redis.call('HMGET', ARGV[5] .. head, 'sender_id', 'body', 'attempts')
    table.insert(rows, {conv, head, m[1] or '', m[2] or '{}', m[3] or '0'})
  else
    redis.call('ZREM', KEYS[1], conv)
  end
end
return rows
"""

# KEYS[1] due, KEYS[2] the failure counts; ARGV Q, M, conversation, message id, now, then for a failure: failed
# key, record, live channel, live event, channel. Removes the message if it is still the head; schedules the
# conversation's next one.
FINISH = """
local q = ARGV[1] .. ARGV[3]
if redis.call('LINDEX', q, 0) ~= ARGV[4] then return 0 end
redis.call('LPOP', q)
redis.call('DEL', ARGV[2] .. ARGV[4])
if redis.call('LLEN', q) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[3])
else
  redis.call('ZREM', KEYS[1], ARGV[3])
end
if ARGV[6] then
  redis.call('LPUSH', ARGV[6], ARGV[7])
  redis.call('LTRIM', ARGV[6], 0, 49)
  redis.call('PUBLISH', ARGV[8], ARGV[9])
  redis.call('HINCRBY', KEYS[2], ARGV[10], 1)
end
return 1
"""

# KEYS[1] due; ARGV Q, M, conversation, message id, when to try again (ms).
RETRY = """
if redis.call('LINDEX', ARGV[1] .. ARGV[3], 0) ~= ARGV[4] then return -1 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[5]), ARGV[3])
return redis.call('HINCRBY', ARGV[2] .. ARGV[4], 'attempts', 1)
"""


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Claim:
    conversation: str  # the marketplace's conversation id
    message_id: str  # also the idempotency key
    sender_id: str  # the Rasa conversation (and helpdesk) id
    body: Dict[str, Any]
    attempts: int  # failed tries so far


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all before a delivery failure
    first_delay_s: float = 1.0  # then doubled each time, with +-20 % jitter
    max_delay_s: float = 60.0
    timeout_s: float = 5.0  # one HTTP call
    lease_s: float = 30.0  # a claimed conversation is someone's for this long

    def delay_s(self, failed_tries: int) -> float:
        base = min(self.max_delay_s, self.first_delay_s * 2 ** max(0, failed_tries - 1))
        return base * random.uniform(0.8, 1.2)


class Outbox:
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.redis = client
        self.channel = channel
        self.due = keys.outbox_due(channel)
        # the key prefixes the scripts append a conversation or a message id to
        self.prefixes = [keys.outbox_queue(channel, ""), keys.outbox_message(channel, "")]
        self._push = client.register_script(PUSH)
        self._claim = client.register_script(CLAIM)
        self._finish = client.register_script(FINISH)
        self._retry = client.register_script(RETRY)

    def push(self, conversation: str, sender_id: str, body: Dict[str, Any]) -> str:
        mid = uuid.uuid4().hex
        data = json.dumps(body, ensure_ascii=False)
        self._push(
            keys=[
                keys.outbox_message(self.channel, mid),
                keys.outbox_queue(self.channel, conversation),
                self.due,
                keys.OUTBOX_FAILED,
            ],
            args=[mid, conversation, sender_id, data, now_ms(), self.channel],
        )
        return mid

    def claim(self, limit: int, lease_s: float) -> List[Claim]:
        rows = self._claim(keys=[self.due], args=[now_ms(), int(lease_s * 1000), limit, *self.prefixes])
        return [Claim(c, m, s, json.loads(b), int(a)) for c, m, s, b, a in rows]

    def sent(self, claim: Claim) -> bool:
        return bool(
            self._finish(
                keys=[self.due, keys.OUTBOX_FAILED],
                args=[*self.prefixes, claim.conversation, claim.message_id, now_ms()],
            )
        )

    def retry(self, claim: Claim, delay_s: float) -> None:
        due = now_ms() + int(delay_s * 1000)
        self._retry(keys=[self.due], args=[*self.prefixes, claim.conversation, claim.message_id, due])

    def failed(self, claim: Claim, reason: str) -> bool:
        sender = claim.body.get("sender") or {}
        record = {"text": claim.body.get("text", ""), "reason": reason, "at": time.time(), "channel": self.channel,
                  "agent": sender.get("id", ""), "attempts": claim.attempts + 1}  # fmt: skip
        live = {"kind": "delivery_failed", "conversation_id": claim.sender_id, "agent": sender.get("id", "")}
        args = [*self.prefixes, claim.conversation, claim.message_id, now_ms(), keys.delivery_failed(claim.sender_id),
                json.dumps(record, ensure_ascii=False), keys.LIVE, json.dumps(live), self.channel]  # fmt: skip
        return bool(self._finish(keys=[self.due, keys.OUTBOX_FAILED], args=args))

    def pending(self) -> int:
        """Conversations with messages still to send (for tests and health)."""
        return self.redis.zcard(self.due)


class Sender:
    """Drains the outbox: up to max_inflight conversations at once, each one message at a time.

    In the Rasa server it runs on a thread of its own (start_thread): the bot's turns run the model on
    the server's event loop, and a sender sharing that loop would wait behind every one of them."""

    def __init__(self, outbox: Outbox, wire: Wire, api_url: str, shop_id: str, access_token: str,
                 policy: RetryPolicy, max_inflight: int = 32, poll_s: float = 0.5) -> None:  # fmt: skip
        self.outbox, self.wire, self.policy = outbox, wire, policy
        self.api_url, self.shop_id, self.access_token = api_url, shop_id, access_token
        self.max_inflight, self.poll_s = max_inflight, poll_s
        self.wake = asyncio.Event()
        self.inflight: Set[asyncio.Task] = set()
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._task: Optional[asyncio.Task] = None

    def start_thread(self) -> threading.Thread:
        started = threading.Event()

        async def main() -> None:
            self.loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            started.set()
            await self.run()

        def target() -> None:
            try:
                asyncio.run(main())
            except asyncio.CancelledError:
                pass

        thread = threading.Thread(target=target, name="marketplace-sender", daemon=True)
        thread.start()
        started.wait(10)
        return thread

    def poke(self) -> None:
        """Something was pushed: look now, not at the next poll (callable from any thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    def stop(self) -> None:
        if self.loop is not None and self._task is not None:
            self.loop.call_soon_threadsafe(self._task.cancel)

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                self.wake.clear()  # before claiming: a message pushed from here on wakes the wait below
                room = self.max_inflight - len(self.inflight)
                claims: List[Claim] = []
                if room > 0:
                    try:
                        claims = await asyncio.to_thread(self.outbox.claim, room, self.policy.lease_s)
                    except (redis.RedisError, OSError) as exc:
                        log.error("marketplace outbox unreachable: %s", exc)
                for claim in claims:
                    task = asyncio.create_task(self._deliver(http, claim))
                    self.inflight.add(task)
                    task.add_done_callback(self._done)
                if not claims:
                    try:
                        await asyncio.wait_for(self.wake.wait(), self.poll_s)
                    except asyncio.TimeoutError:
                        pass

    def _done(self, task: asyncio.Task) -> None:
        self.inflight.discard(task)
        self.wake.set()  # the conversation may have a next message, and there is room again

    async def _deliver(self, http: aiohttp.ClientSession, claim: Claim) -> None:
        url, body = self.wire.outbound_request(self.api_url, self.shop_id, claim.conversation, claim.body)
        headers = self.wire.auth_headers(self.access_token, claim.message_id)
        try:
            async with http.post(url, json=body, headers=headers) as r:
                status, detail = r.status, (await r.text())[:200]
        except asyncio.TimeoutError:
            status, detail = 0, f"no answer within {self.policy.timeout_s:g} s"
        except aiohttp.ClientError as exc:
            status, detail = 0, exc.__class__.__name__
        try:
            await asyncio.to_thread(self._settle, claim, status, detail)
        except (redis.RedisError, OSError) as exc:  # the lease runs out and the message is tried again
            log.error("marketplace outbox unreachable after sending %s: %s", claim.message_id, exc)

    def _settle(self, claim: Claim, status: int, detail: str) -> None:
        if 200 <= status < 300:
            self.outbox.sent(claim)
            return
        reason = f"HTTP {status}: {detail}" if status else detail
        retryable = status == 0 or status >= 500 or status in (408, 425, 429)
        if retryable and claim.attempts + 1 < self.policy.attempts:
            delay = self.policy.delay_s(claim.attempts + 1)
            log.warning("marketplace send to %s failed (%s), try %d again in %.1f s",
                        claim.conversation, reason, claim.attempts + 2, delay)  # fmt: skip
            self.outbox.retry(claim, delay)
            return
        if retryable:
            reason = f"gave up after {claim.attempts + 1} tries: {reason}"
        log.error("marketplace message to %s not delivered: %s", claim.conversation, reason)
        self.outbox.failed(claim, reason)


def parse_policy(raw: Optional[Dict[str, Any]]) -> RetryPolicy:
    raw = raw or {}
    fields = RetryPolicy.__dataclass_fields__
    unknown = set(raw) - set(fields)
    if unknown:
        raise ValueError(f"unknown retry settings: {', '.join(sorted(unknown))}")
    return RetryPolicy(**{k: type(getattr(RetryPolicy(), k))(v) for k, v in raw.items()})
