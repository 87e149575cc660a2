"""What every action needs for one turn: who, in which language, the shop rules, the time."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.labels import fmt_date, fmt_time, money
from actions.services import Services, services
from helpdesk.desk import Desk
from shop.config import ShopConfig
from shop.store import ShopStore, StoreUnavailable
from shop.trust import verified_customer

log = logging.getLogger(__name__)


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
    def repo(self) -> ShopStore:
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

    def date(self, value: Optional[datetime]) -> str:
        return fmt_date(value, self.cfg.formats.date(self.lang))

    def time(self, value: Optional[datetime]) -> str:
        return fmt_time(value, self.cfg.formats.date(self.lang))

    def money(self, amount: float) -> str:
        return money(amount, self.cfg.shop.currency)

    def colour(self, key: str) -> str:
        """A catalog colour key in the buyer's words (shop.yml colours)."""
        return self.cfg.colour_name(key, self.lang)

    def category(self, key: str) -> str:
        """A catalog category key in the buyer's words (shop.yml categories)."""
        return self.cfg.category_name(key, self.lang)

    def t(self, text: Dict[str, str] | Any) -> str:
        """A bilingual config text (shop.config.Text) in the buyer's language."""
        return text(self.lang)


Events = List[Dict[str, Any]]


Run = Callable[..., Awaitable[Events]]


def shop_may_be_down(run: Run) -> Run:
    """An action's run() that reads the shop's data: if the shop's platform (or database) does not answer,
    the buyer gets an apology, never a trace, and the conversation goes on."""

    @functools.wraps(run)
    async def wrapper(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> Events:
        try:
            return await run(self, dispatcher, tracker, domain)
        except StoreUnavailable as exc:
            log.warning("%s: the shop's data is unavailable: %s", self.name(), exc)
            Turn(dispatcher, tracker).say("utter_shop_unavailable")
            return []

    return wrapper
