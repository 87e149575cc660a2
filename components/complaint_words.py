"""A message with one of the shop's complaint words is a complaint, whatever the model read.

Damage, a wrong item or anger at the bot must reach a person at any point of a chat: right after a
status answer "ok it came but it's ripped" reads much like "ok", and the model, trained on whole
sentences, can miss it. The words are shop rules (shop.yml ``handoff.complaint_words``, read at the
first message, so a shop changes them without retraining). The model's own reading stays in the
intent ranking, and ``complaint_word`` in the parse says which word decided.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from shop.config import load_shop_config
from shop.settings import Settings
from shop.understanding import complaint_word

PERSON_INTENTS = {"complaint", "request_human"}  # already on their way to a person


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ComplaintWords(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ComplaintWords":
        return cls()

    @cached_property
    def words(self) -> List[str]:
        return load_shop_config(Settings.from_env().shop_config).handoff.complaint_words

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") in PERSON_INTENTS:
                continue
            word = complaint_word(message.get(TEXT) or "", self.words)
            if word:
                message.set(INTENT, {"name": "complaint", "confidence": 1.0}, add_to_output=True)
                message.set("complaint_word", word, add_to_output=True)
        return messages
