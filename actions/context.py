"""What every action needs for one turn: who, in which language, the shop rules, the time."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shop_config import ShopConfig, shop_config

# Connectors that verify who the buyer is (a marketplace's signed webhook, a logged-in shop
# session) sign {sender_id}:{customer_id} with this secret and put it in the message metadata
# as {"kefu_verified": {"customer_id": ..., "sig": ...}}. Anything unsigned or badly signed
# is ignored, so a REST caller cannot claim to be someone else.
DEV_CHANNEL_SECRET = "kefu-dev-channel-secret"


def channel_secret() -> bytes:
    return os.environ.get("KEFU_CHANNEL_SECRET", DEV_CHANNEL_SECRET).encode()


def sign_customer(sender_id: str, customer_id: str, secret: Optional[bytes] = None) -> str:
    msg = f"{sender_id}:{customer_id}".encode()
    return hmac.new(secret or channel_secret(), msg, sha256).hexdigest()


def verified_customer_id(tracker: Tracker) -> Optional[str]:
    """The channel-verified buyer id of the current message. Only the newest user message counts:
    a message that came another way (say a REST call naming this conversation) proves nothing."""
    latest = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None)
    claim = ((latest or {}).get("metadata") or {}).get("kefu_verified")
    if not isinstance(claim, dict):
        return None
    cid, sig = str(claim.get("customer_id", "")), str(claim.get("sig", ""))
    return cid if cid and hmac.compare_digest(sig, sign_customer(tracker.sender_id, cid)) else None


@dataclass
class Turn:
    dispatcher: CollectingDispatcher
    tracker: Tracker
    cfg: ShopConfig = field(default_factory=shop_config)
    now: datetime = field(default_factory=datetime.utcnow)

    @property
    def lang(self) -> str:
        return "zh" if self.tracker.get_slot("language") == "zh" else "en"

    @property
    def intent(self) -> str:
        return (self.tracker.latest_message.get("intent") or {}).get("name") or ""

    @property
    def text(self) -> str:
        return self.tracker.latest_message.get("text") or ""

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def entity(self, name: str) -> Optional[str]:
        return next(self.tracker.get_latest_entity_values(name), None)

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)

    def t(self, text: Dict[str, str] | Any) -> str:
        """A bilingual config text (shop_config.Text) in the buyer's language."""
        return text(self.lang)


Events = List[Dict[str, Any]]
