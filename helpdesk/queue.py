"""The live human queue in Redis. Every change is one Lua script, so any number of
action-server and helpdesk processes can call it at once.

This module starts with enqueue (the bot's side); the helpdesk issue adds assignment,
transfer and resolve next to it.
"""

from __future__ import annotations

import time
from typing import Dict

import redis

from helpdesk import keys
from helpdesk.records import HandoffRecord

# KEYS[1] conversation hash, KEYS[2] waiting zset, KEYS[3] sequence
# ARGV[1] conversation id, ARGV[2] score, then field/value pairs of the record
# Returns 1 if queued, 0 if the conversation is already waiting or assigned (a no-op).
_ENQUEUE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'waiting' or state == 'assigned' then
  return 0
end
redis.call('DEL', KEYS[1])
local seq = redis.call('INCR', KEYS[3])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'state', 'waiting', 'seq', seq)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# Priority dominates the score; within a priority, earlier requests score lower.
_PRIORITY_WEIGHT = 10**12


def queue_score(priority: int, created_at: float) -> float:
    return -priority * _PRIORITY_WEIGHT + created_at


class HandoffQueue:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._enqueue = client.register_script(_ENQUEUE)

    def enqueue(self, record: HandoffRecord) -> bool:
        """Queue a conversation for a human; False if it is already waiting or assigned."""
        created = float(record.get("created_at") or time.time())
        fields = {**record, "created_at": created}
        flat = []
        for key, value in fields.items():
            flat += [key, "" if value is None else str(value)]
        cid = record["conversation_id"]
        added = self._enqueue(
            keys=[keys.conversation(cid), keys.WAITING, keys.SEQ],
            args=[cid, queue_score(int(record["priority"]), created), *flat],
        )
        return bool(added)

    def waiting(self) -> list[str]:
        """Waiting conversation ids, first to be served first."""
        return list(self.redis.zrange(keys.WAITING, 0, -1))

    def get(self, conversation_id: str) -> Dict[str, str]:
        return dict(self.redis.hgetall(keys.conversation(conversation_id)))
