"""What every action needs for one turn: who, in which language, the shop rules, the time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, services
from helpdesk.desk import Desk
from shop.config import ShopConfig
from shop.repository import ShopRepository
from shop.trust import verified_customer


@dataclass
class Turn:
    dispatcher: CollectingDispatcher
    tracker: Tracker
    services: Services = field(default_factory=services)
    now: datetime = field(default_factory=datetime.utcnow)

    @property
    def cfg(self) -> ShopConfig:
        return self.services.cfg

    @property
    def repo(self) -> ShopRepository:
        return self.services.repository

    @property
    def desk(self) -> Desk:
        return self.services.desk

    @property
    def verified_customer(self) -> Optional[str]:
        """The channel-verified buyer id of the current message. Only the newest user message counts:
        a message that came another way (say a REST call naming this conversation) proves nothing."""
        latest = next((e for e in reversed(self.tracker.events) if e.get("event") == "user"), None)
        secret = self.services.settings.channel_secret
        return verified_customer(secret, self.tracker.sender_id, (latest or {}).get("metadata"))

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
        """A bilingual config text (shop.config.Text) in the buyer's language."""
        return text(self.lang)


Events = List[Dict[str, Any]]
