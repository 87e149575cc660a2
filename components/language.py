"""Tags each message with the buyer's language, so replies follow it.

Adds a ``language`` entity (``zh`` when the message has any Chinese character, ``en`` when it
has Latin letters and no Chinese) that the ``language`` slot is mapped from. A message with
neither (an order number, an email, a phone, a coupon code, "5", an emoji) adds nothing, so the
slot keeps the last language: a Chinese buyer who answers with an email is still answered in Chinese.
A buyer who mixes the two is answered in Chinese: someone who types Chinese reads it.
"""

from __future__ import annotations

import re
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from shop.config import shop_identifiers
from shop.formats import HAS_CJK

LETTERS = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str) -> Optional[str]:
    if HAS_CJK.search(text):
        return "zh"
    # "A10293", "lily@example.com" or "WELCOME10" are not English
    return "en" if LETTERS.search(shop_identifiers().without_identifiers(text)) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            lang = detect_language(message.get(TEXT) or "")
            if lang:
                entity = {
                    "entity": "language",
                    "value": lang,
                    "start": 0,
                    "end": 0,
                    "extractor": self.__class__.__name__,
                }
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages
