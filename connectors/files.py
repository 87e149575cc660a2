"""Photos and files buyers send, as the channels take them: checked, counted, kept (shop/attachments.py).

The web chat uploads a photo first (POST /webhooks/webchat/upload), then names it in the message it sends:
the upload is remembered for the conversation that made it for a day, and a message may name only its own
conversation's uploads. A marketplace's image message is fetched from the marketplace and kept at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List

import redis

from helpdesk import keys
from shop.attachments import FILE_NAME, PHOTO_INTENT, FileStore, Refused, attachment, check
from shop.config import Attachments
from shop.formats import MAX_FILES_PER_MESSAGE

FILES_PATH = "/webhooks/webchat/files"  # where the Rasa server serves kept files (connectors/webchat.py)
HOUR_S = 3600
UPLOAD_KEPT_S = 86400  # a photo uploaded but never sent (the buyer closed the page) may still be sent a day later


def public_file_url(public_url: str, name: str) -> str:
    """A kept file's address for a browser or a marketplace outside (Settings.public_url, KEFU_PUBLIC_URL)."""
    return f"{public_url.rstrip('/')}{FILES_PATH}/{name}"


def photo_words(lang: Any = None) -> str:
    """What the bot reads for a photo without words, in the buyer's language when the channel knows it."""
    return f'/{PHOTO_INTENT}{{"language": "{lang}"}}' if lang in ("en", "zh") else f"/{PHOTO_INTENT}"


@dataclass
class Uploads:
    redis: redis.Redis
    store: FileStore
    rules: Attachments

    def count(self, conversation_id: str) -> None:
        """One more upload for this conversation this hour, or Refused("too_many")."""
        key = keys.uploads(conversation_id)
        pipe = self.redis.pipeline(transaction=True)  # the first upload of the hour starts its window
        pipe.set(key, 0, ex=HOUR_S, nx=True)
        pipe.incr(key)
        if pipe.execute()[1] > self.rules.per_hour:
            raise Refused("too_many", self.rules)

    def keep(self, conversation_id: str, data: bytes, declared: str = "", name: str = "") -> Dict[str, Any]:
        """Check, count and store one file; its metadata entry (shop/attachments.py attachment)."""
        content_type = check(data, self.rules, declared)
        self.count(conversation_id)
        return attachment(self.store.put(data, content_type), content_type, len(data), name)

    def upload(self, conversation_id: str, data: bytes, declared: str = "", name: str = "") -> Dict[str, Any]:
        """keep(), remembered for the conversation's next message to name."""
        kept = self.keep(conversation_id, data, declared, name)
        record = json.dumps({**kept, "conversation": conversation_id})
        self.redis.set(keys.upload(kept["file"]), record, ex=UPLOAD_KEPT_S)
        return kept

    def claim(self, conversation_id: str, names: Any) -> List[Dict[str, Any]]:
        """The uploads a message names, each this conversation's own; Refused("unknown_file") otherwise."""
        if not isinstance(names, list) or not 0 < len(names) <= MAX_FILES_PER_MESSAGE:
            raise Refused("unknown_file", self.rules)
        if not all(isinstance(n, str) and FILE_NAME.match(n) for n in names):
            raise Refused("unknown_file", self.rules)
        found = []
        for raw in self.redis.mget([keys.upload(n) for n in names]):
            record = json.loads(raw) if raw else {}
            if record.pop("conversation", None) != conversation_id:
                raise Refused("unknown_file", self.rules)
            found.append(record)
        return found
