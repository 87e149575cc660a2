"""shop.yml's complaint words make a complaint whatever the model read (components/complaint_words.py)."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.complaint_words import ComplaintWords
from shop.understanding import complaint_word

WORDS = ["ripped", "wrong item", "you're useless", "破了", "发错", "12315"]


def test_words_match_whole_latin_words_and_chinese_substrings():
    assert complaint_word("ok it came but its RIPPED", WORDS) == "ripped"
    assert complaint_word("you’re useless", WORDS) == "you're useless"  # a typographic apostrophe too
    assert complaint_word("到是到了 但是破了", WORDS) == "破了"
    assert complaint_word("又发错了 我要打12315", WORDS) in ("发错", "12315")
    assert complaint_word("unripped jeans? wrong items list", WORDS) is None  # not inside other words
    assert complaint_word("where is my order", WORDS) is None
    assert complaint_word("anything", []) is None


def parsed(text: str, intent: str, confidence: float = 0.9) -> Message:
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence}})


def test_the_demo_shop_words_turn_a_misread_into_a_complaint():
    component = ComplaintWords()
    after_status = parsed("ok it finally came but the shirt is ripped", "affirm")
    bot_anger = parsed("别敷衍我 听不懂人话吗", "deny")
    fine = parsed("ok thanks", "affirm")
    human = parsed("投诉 转人工", "request_human")
    component.process([after_status, bot_anger, fine, human])
    assert after_status.get(INTENT) == {"name": "complaint", "confidence": 1.0}
    assert after_status.get("complaint_word") == "ripped"
    assert bot_anger.get(INTENT)["name"] == "complaint"
    assert fine.get(INTENT)["name"] == "affirm" and fine.get("complaint_word") is None
    assert human.get(INTENT)["name"] == "request_human"  # already going to a person
