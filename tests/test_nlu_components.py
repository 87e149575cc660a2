from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.entity_cleanup import EntityCleanup
from components.language import LanguageDetector, detect_language
from components.mixed_tokenizer import MixedTokenizer


def tokens(text):
    tok = MixedTokenizer(MixedTokenizer.get_default_config())
    return [t.text for t in tok.tokenize(Message(data={TEXT: text}), TEXT)]


def test_script_changes_split_tokens():
    assert tokens("这件M码合适吗 I'm 170cm")[:4] == ["这件", "M", "码", "合适"]
    assert "I'm" in tokens("这件M码合适吗 I'm 170cm") and "170cm" in tokens("这件M码合适吗 I'm 170cm")


def test_order_numbers_emails_phones_stay_whole():
    t = tokens("订单A10293到哪了 lily.chen@example.com 138-1234-5678")
    assert "A10293" in t and "lily.chen@example.com" in t and "138-1234-5678" in t


def test_shop_words_and_emojis():
    t = tokens("碎花连衣裙退货😡!!!")
    assert "碎花连衣裙" in t and "退货" in t and "😡" in t and "!" not in t


def test_only_punctuation_still_gives_a_token():
    assert tokens("???") == ["???"]
    assert tokens("") == []


def test_language():
    assert detect_language("where is my order") == "en"
    assert detect_language("我的订单 where") == "zh"
    assert detect_language("A10293") is None and detect_language("5") is None and detect_language("😀") is None


def test_language_entity_and_cleanup():
    msg = Message(
        data={
            TEXT: "退货 #a10001",
            ENTITIES: [
                {"entity": "order_number", "value": "#a10001", "start": 3, "end": 10, "extractor": "DIETClassifier"},
                {
                    "entity": "order_number",
                    "value": "a10001",
                    "start": 4,
                    "end": 10,
                    "extractor": "RegexEntityExtractor",
                },
                {"entity": "order_number", "value": "退货", "start": 0, "end": 2, "extractor": "DIETClassifier"},
            ],
        }
    )
    EntityCleanup().process([msg])
    LanguageDetector().process([msg])
    ents = msg.get(ENTITIES)
    assert [(e["entity"], e["value"]) for e in ents] == [("order_number", "A10001"), ("language", "zh")]
