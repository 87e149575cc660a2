"""Which conversation a mail belongs to, and what a reply in it needs, in Redis (keys in helpdesk/keys.py):

    keys.email_message(h)      every mail of a thread, the buyer's and ours -> the conversation id
    keys.email_thread(c)       the thread: address, name, subject, last_id, references, language, options

A reply names its thread by In-Reply-To and References. Any id we know continues that conversation, so a buyer
who answers our reply, or an older mail of theirs, stays in one chat. A mail that names none starts a conversation
whose id comes from the thread's root id, so a thread whose ids expired here still finds its way back. The buyer's
address is part of both hashes: someone who learnt a Message-ID cannot join another buyer's chat from another
address.
"""

from __future__ import annotations

import hashlib
import json
from typing import List, Optional

import redis

from connectors.email.mail import Mail, Thread
from helpdesk import keys

REMEMBER_S = 90 * 86400  # a buyer may answer a mail weeks later


def thread_of(mail: Mail) -> Thread:
    """The thread a reply to this mail continues: In-Reply-To it, References its References and its id."""
    refs = [r for r in mail.references if r != mail.message_id] + [mail.message_id]
    return Thread(address=mail.address, name=mail.name, subject=mail.subject, last_id=mail.message_id,
                  references=refs[-50:])  # fmt: skip


def digest(address: str, message_id: str) -> str:
    return hashlib.sha256(f"{address.lower()}\n{message_id}".encode()).hexdigest()[:32]


class Threads:
    def __init__(self, client: redis.Redis, channel: str = "email") -> None:
        self.redis = client
        self.channel = channel

    def conversation_of(self, mail: Mail) -> str:
        """The Rasa sender id of the conversation this mail continues, or of the new one it starts."""
        ids = mail.thread_ids
        if ids:
            found = self.redis.mget([keys.email_message(digest(mail.address, i)) for i in ids])
            for value in found:
                if value:
                    return value.decode() if isinstance(value, bytes) else value
        return f"{self.channel}:{digest(mail.address, mail.root_id)}"

    def remember(self, conversation: str, address: str, *message_ids: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for message_id in message_ids:
            pipe.set(keys.email_message(digest(address, message_id)), conversation, ex=REMEMBER_S)
        pipe.execute()

    def took(self, conversation: str, mail: Mail, language: str) -> None:
        """A buyer's mail arrived: the next reply answers it, in its thread, in its language."""
        key, thread = keys.email_thread(conversation), thread_of(mail)
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={"address": thread.address, "name": thread.name, "subject": thread.subject,
                                "last_id": thread.last_id, "references": json.dumps(thread.references),
                                "language": language})  # fmt: skip
        pipe.expire(key, REMEMBER_S)
        pipe.execute()
        self.remember(conversation, mail.address, mail.message_id)

    def thread(self, conversation: str) -> Optional[Thread]:
        raw = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
               for k, v in self.redis.hgetall(keys.email_thread(conversation)).items()}  # fmt: skip
        if not raw.get("address"):
            return None
        return Thread(address=raw["address"], name=raw.get("name", ""), subject=raw.get("subject", ""),
                      last_id=raw.get("last_id", ""), references=json.loads(raw.get("references") or "[]"))  # fmt: skip

    def language(self, conversation: str) -> str:
        value = self.redis.hget(keys.email_thread(conversation), "language")
        return (value.decode() if isinstance(value, bytes) else value) or "en"

    def set_options(self, conversation: str, options: List[dict]) -> None:
        """The buttons of our last mail: a reply that is just one of their titles means its payload."""
        self.redis.hset(keys.email_thread(conversation), "options", json.dumps(options, ensure_ascii=False))

    def options(self, conversation: str) -> List[dict]:
        value = self.redis.hget(keys.email_thread(conversation), "options")
        return json.loads(value) if value else []
