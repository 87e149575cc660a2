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


def test_service_words_and_emojis():
    """The catalog's words are learnt in training (tests/test_training_data.py); the trade's are always known."""
    t = tokens("连衣裙转人工退货😡!!!")
    assert "转人工" in t and "退货" in t and "😡" in t and "!" not in t


def test_only_punctuation_still_gives_a_token():
    assert tokens("???") == ["???"]
    assert tokens("") == []


def test_language():
    assert detect_language("where is my order") == "en"
    assert detect_language("我的订单 where") == "zh"
    assert detect_language("A10293") is None and detect_language("5") is None and detect_language("😀") is None


def test_identifiers_alone_keep_the_language():
    """A Chinese buyer who answers with an email, a phone, a code or a link is still answered in Chinese."""
    for text in ["lily.chen@example.com", "138 1234 5678", "+1 (415) 555-0132", "#a10293", "WELCOME10",
                 "SF1234567890", "https://example.com/o/A10293", "👍👍", "  A10293 ,  lily@x.cn "]:  # fmt: skip
        assert detect_language(text) is None, text
    assert detect_language("my email is lily@x.cn") == "en"
    assert detect_language("code WELCOME10 doesnt work") == "en"


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


def test_sentence_encoder_adds_one_sentence_feature_per_message():
    import numpy as np

    from components.sentence_encoder import SentenceEncoderFeaturizer, prepared

    featurizer = SentenceEncoderFeaturizer("use", SentenceEncoderFeaturizer.get_default_config())
    messages = [Message(data={TEXT: t}) for t in ["where is my parcel", "我的快递到哪了", "tell me a joke", ""]]
    featurizer.process(messages)
    vectors = []
    for m in messages[:3]:
        sequence, sentence = m.get_dense_features(TEXT)
        assert sequence is None and sentence.features.shape == (1, 512)
        vectors.append(sentence.features[0])
    assert messages[3].get_dense_features(TEXT) == (None, None)  # nothing to encode
    # the point of it: the same question in two languages is closer than an unrelated one
    parcel, kuaidi, joke = vectors
    assert float(np.dot(parcel, kuaidi)) > float(np.dot(parcel, joke)) + 0.1
    # identifiers become words, so two order numbers embed alike
    assert prepared("where is A10293, mail lily@x.cn") == prepared("where is #a10777, mail bo@y.com")
