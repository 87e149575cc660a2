"""A tokenizer for English, Chinese and the two mixed in one message.

CJK runs are segmented with Jieba (plus the shop's own words), Latin/digit runs are split on
word boundaries, and emojis are tokens of their own (😡 says a lot). The script change is
always a token boundary, so "M码" is "M" + "码" and "订单A10293到哪了" keeps A10293 whole.

Only the first ``max_tokens`` tokens are made: every later step (featurizers, DIET's attention,
which grows with the square of the length) then costs at most what a message of that length
costs, so a 10,000-character message cannot hold the server. The message itself stays whole
in the tracker for the agent and the actions.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# a CJK run | a Latin word (inner ' . - @ + _ keep emails, 5'7, 138-1234-5678 whole) | one other symbol
TOKEN_RE = re.compile(rf"[{CJK}]+|[A-Za-z0-9]+(?:['’.\-@+_][A-Za-z0-9]+)*|[^\s{CJK}A-Za-z0-9]")
CJK_RUN = re.compile(rf"[{CJK}]+")
SHOP_WORDS = Path(__file__).with_name("shop_words.txt")
MAX_CHARS_PER_TOKEN = 8  # a CJK run is cut to this many characters per token still wanted before Jieba reads it


def _is_symbol_token(ch: str) -> bool:
    """Emojis and other pictographs carry meaning; ordinary punctuation does not."""
    return unicodedata.category(ch) in ("So", "Sk")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "max_tokens": 256,  # buyers' messages are far shorter; the rest of a longer one is not read
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["jieba"]

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        import jieba

        from components import rasa_speedups

        rasa_speedups.install()  # the Rasa server loads this component with the model

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        for word in SHOP_WORDS.read_text(encoding="utf-8").split():
            self._jieba.add_word(word)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MixedTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        limit = int(self._config["max_tokens"])
        tokens: List[Token] = []
        for m in TOKEN_RE.finditer(text):
            if len(tokens) >= limit:
                break
            piece, start = m.group(), m.start()
            if CJK_RUN.fullmatch(piece):
                piece = piece[: (limit - len(tokens)) * MAX_CHARS_PER_TOKEN]
                for word, w_start, _ in self._jieba.tokenize(piece):
                    tokens.append(Token(word, start + w_start))
            elif piece[0].isalnum() or _is_symbol_token(piece):
                tokens.append(Token(piece, start))
        del tokens[limit:]
        if not tokens and text.strip():
            # only punctuation ("???"): keep one token so every featurizer has something
            stripped = text.strip()
            tokens.append(Token(stripped, text.index(stripped)))
        return self._apply_token_pattern(tokens)
