"""Every Redis key of the live handoff state, in one place.

kefu:conv:{conversation_id}   hash    the handoff record (records.HandoffRecord) + state
kefu:queue:waiting            zset    conversation ids waiting for an agent; score orders them
                                      (higher priority first, then first come first served)
kefu:seq                      string  a counter that breaks ties between equal timestamps
"""

PREFIX = "kefu"
WAITING = f"{PREFIX}:queue:waiting"
SEQ = f"{PREFIX}:seq"


def conversation(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}"
