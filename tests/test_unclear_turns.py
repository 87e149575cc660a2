"""Two unclear messages in a row go to a person, whatever the model guessed (components/unclear_turns_policy.py)."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, ConversationResumed, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.unclear_turns_policy import UnclearTurnsPolicy
from shop.settings import ROOT
from shop.understanding import is_unclear, unclear_streak


def said(text: str, intent: str, confidence: float) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": confidence}, parse_data={
        "intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text})  # fmt: skip


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture
def policy(tmp_path, domain):
    from rasa.engine.graph import ExecutionContext, GraphSchema

    storage = LocalModelStorage(tmp_path)
    return UnclearTurnsPolicy.create(
        UnclearTurnsPolicy.get_default_config(), storage, Resource("unclear"), ExecutionContext(GraphSchema({}))
    )


def predicted(policy, domain, events) -> str | None:
    tracker = DialogueStateTracker.from_events("b-1", [ActionExecuted("action_listen"), *events])
    probabilities = policy.predict_action_probabilities(tracker, domain).probabilities
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return domain.action_names_or_texts[best] if probabilities[best] > 0 else None


def test_what_counts_as_unclear():
    assert is_unclear({"intent": {"name": "nlu_fallback", "confidence": 0.9}}, 0.5)
    assert is_unclear({"intent": {"name": "out_of_scope", "confidence": 0.99}}, 0.5)
    assert is_unclear({"intent": {"name": "goodbye", "confidence": 0.31}}, 0.5)
    assert not is_unclear({"intent": {"name": "goodbye", "confidence": 0.8}}, 0.5)
    assert not is_unclear({"intent": {"name": "complaint", "confidence": 0.25}}, 0.5)  # goes to a person anyway
    assert is_unclear({}, 0.5)


def test_streak_stops_at_a_clear_message_or_a_fresh_start():
    low = {"event": "user", "parse_data": {"intent": {"name": "deny", "confidence": 0.2}}}
    clear = {"event": "user", "parse_data": {"intent": {"name": "greet", "confidence": 0.95}}}
    bot = {"event": "bot", "text": "?"}
    assert unclear_streak([low, bot, low, bot, clear, low], 0.5) == 2
    assert unclear_streak([low, {"event": "resume"}, low], 0.5) == 1
    assert unclear_streak([low, {"event": "session_started"}, low], 0.5) == 1


def test_second_low_confidence_guess_goes_to_the_fallback(policy, domain):
    first = [said("咋回事", "goodbye", 0.31)]
    assert predicted(policy, domain, first) is None  # one unclear guess: the rules answer it
    two = [*first, ActionExecuted("utter_goodbye"), ActionExecuted("action_listen"), said("木有", "deny", 0.4)]
    assert predicted(policy, domain, two) == "action_fallback"
    # slots set from the message (action_extract_slots) come after it and change nothing
    assert predicted(policy, domain, [*two, SlotSet("language", "zh")]) == "action_fallback"
    # once the bot has acted on the message, the policy is silent
    assert predicted(policy, domain, [*two, ActionExecuted("action_fallback")]) is None


def test_a_clear_message_or_a_handoff_resets(policy, domain):
    clear = [said("??", "nlu_fallback", 0.9), ActionExecuted("action_listen"), said("发货没", "order_status", 0.97)]
    assert predicted(policy, domain, clear) is None
    handed_off = [said("??", "nlu_fallback", 0.9), ConversationPaused(), ConversationResumed(),
                  ActionExecuted("action_listen"), said("5", "rate", 0.45)]  # fmt: skip
    assert predicted(policy, domain, handed_off) is None
