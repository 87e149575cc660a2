"""Two unclear messages in a row reach a person, whatever intent the model guessed.

The rules map every intent to an action, so a low-confidence guess ("咋回事" read as goodbye) gets
that intent's answer. One such answer is acceptable; a second unclear message right after it means
the buyer and the bot are not getting anywhere. This policy then outranks the rules and runs
action_fallback, which hands the chat over (shop/understanding.py says what "unclear" means; the
limits are shop.yml's handoff.max_bot_failures and handoff.unclear_below, read at the first turn).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from shop.config import Handoff, load_shop_config
from shop.settings import Settings
from shop.understanding import unclear_streak

FALLBACK_ACTION = "action_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class UnclearTurnsPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # above RulePolicy (6): both are certain, and this one must win the tie
        return {"priority": 7}

    @cached_property
    def rules(self) -> Handoff:
        return load_shop_config(Settings.from_env().shop_config).handoff

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if _right_after_buyer(tracker):
            newest_first = (event.as_dict() for event in reversed(tracker.events))
            if unclear_streak(newest_first, self.rules.unclear_below) >= self.rules.max_bot_failures:
                probabilities[domain.index_for_action(FALLBACK_ACTION)] = 1.0
        return self._prediction(probabilities)


def _right_after_buyer(tracker: DialogueStateTracker) -> bool:
    """The bot has not acted since the buyer's message (slots set from it may follow it)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted):
            return False
    return False
