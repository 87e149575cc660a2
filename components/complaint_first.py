"""A complaint is not missed cheaply: a wrong handoff costs an agent a minute, a missed one costs the buyer.

After the model, two rules can make a message a complaint (or keep the request for a person):
- it holds one of the shop's complaint words (shop.yml ``handoff.complaint_words``): damage, a wrong
  item or anger at the bot must reach a person at any point of a chat, and right after a status answer
  "ok it came but it's ripped" reads much like "ok";
- the model put complaint or request_human in its ranking with at least ``handoff.person_min_confidence``
  although something else came first: the costs are not symmetric, so neither is the decision.
The shop rules are read at the first message (a shop changes them without retraining). The model's own
reading stays in the intent ranking; ``complaint_word`` in the parse says which word decided.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from shop.config import Handoff, load_shop_config
from shop.settings import Settings
from shop.understanding import PERSON_INTENTS, complaint_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ComplaintFirst(StatelessComponent):
    @cached_property
    def rules(self) -> Handoff:
        return load_shop_config(Settings.from_env().shop_config).handoff

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get("name") in PERSON_INTENTS:
                continue
            word = complaint_word(message.get(TEXT) or "", self.rules.complaint_words)
            if word:
                message.set(INTENT, {"name": "complaint", "confidence": 1.0}, add_to_output=True)
                message.set("complaint_word", word, add_to_output=True)
                continue
            runner_up = self._person_in_ranking(message)
            if runner_up:
                message.set(INTENT, runner_up, add_to_output=True)
        return messages

    def _person_in_ranking(self, message: Message) -> Optional[Dict[str, Any]]:
        floor = self.rules.person_min_confidence
        ranking = message.get(INTENT_RANKING_KEY) or []
        return next((r for r in ranking if r.get("name") in PERSON_INTENTS and r.get("confidence", 0) >= floor), None)
