"""Makes extracted entities safe to map onto slots.

DIET and the regex extractor can both find the same order number; a text slot fed two
values would become a list. Keep one entity per (type, value), preferring the regex
extractor's exact match, and make order numbers canonical by the shop's masks ("#a10293" -> "A10293").
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from shop.config import shop_identifiers

REGEX_ONLY = {"order_number", "email", "phone"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityCleanup(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            kept: Dict[tuple, Dict[Text, Any]] = {}
            for ent in message.get(ENTITIES, []):
                value = ent.get("value")
                if ent["entity"] == "order_number":
                    value = shop_identifiers().order_number(str(value))
                    if value is None:
                        continue  # DIET guessed something that is not an order number
                    ent = {**ent, "value": value}
                if ent["entity"] in REGEX_ONLY and ent.get("extractor") == "DIETClassifier":
                    # DIET's guess counts only if the regex extractor did not see it
                    kept.setdefault((ent["entity"], str(value).lower()), ent)
                    continue
                kept[(ent["entity"], str(value).lower())] = ent
            # one value per regex-only entity type (the first in the message)
            seen, out = set(), []
            for ent in sorted(kept.values(), key=lambda e: e.get("start", 0)):
                if ent["entity"] in REGEX_ONLY:
                    if ent["entity"] in seen:
                        continue
                    seen.add(ent["entity"])
                out.append(ent)
            message.set(ENTITIES, out, add_to_output=True)
        return messages
