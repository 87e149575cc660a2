"""Complaints first: shop.yml's complaint words, and a person intent close behind (components/complaint_first.py)."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.complaint_first import ComplaintFirst
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


def parsed(text: str, intent: str, confidence: float = 0.9, ranking: list = ()) -> Message:
    top = {"name": intent, "confidence": confidence}
    return Message(data={TEXT: text, INTENT: top, INTENT_RANKING_KEY: [top, *ranking]})


def test_the_demo_shop_words_turn_a_misread_into_a_complaint():
    component = ComplaintFirst()
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


def test_a_person_intent_close_behind_wins():
    """shop.yml person_min_confidence is 0.2: complaint at 0.25 behind order_status is taken, at 0.1 it is not."""
    component = ComplaintFirst()
    close = parsed("一周了还没动静", "order_status", 0.6, [{"name": "complaint", "confidence": 0.25}])
    far = parsed("一周了还没到吗", "order_status", 0.85, [{"name": "complaint", "confidence": 0.1}])
    human = parsed("换个人来", "exchange_request", 0.5, [{"name": "request_human", "confidence": 0.4}])
    component.process([close, far, human])
    assert close.get(INTENT) == {"name": "complaint", "confidence": 0.25}
    assert far.get(INTENT)["name"] == "order_status"
    assert human.get(INTENT)["name"] == "request_human"
