"""A tokenizer for English, Chinese and the two mixed in one message.

CJK runs are segmented with Jieba, Latin/digit runs are split on
word boundaries, and emojis are tokens of their own (😡 says a lot). The script change is
always a token boundary, so "M码" is "M" + "码" and "订单A10293到哪了" keeps A10293 whole.

Jieba also knows the shop's words: the service words in shop_words.txt, and the Chinese entries of the
training data's lookup tables, which `make train` writes from the shop's catalog (scripts/training_data.py).
Training keeps that word list in the model, so a model segments as it was trained, whatever the catalog
becomes later; a new catalog retrains into new words.

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
from rasa.shared.nlu.training_data.training_data import TrainingData

from shop.formats import CJK

# a CJK run | a Latin word (inner ' . - @ + _ keep emails, 5'7, 138-1234-5678 whole; a leading # keeps an order
# number such as #1042 whole) | one other symbol
TOKEN_RE = re.compile(rf"[{CJK}]+|#?[A-Za-z0-9]+(?:['’.\-@+_][A-Za-z0-9]+)*|[^\s{CJK}A-Za-z0-9]")
CJK_RUN = re.compile(rf"[{CJK}]+")
SERVICE_WORDS = Path(__file__).with_name("shop_words.txt")  # words of the trade, the same for every shop
WORDS_FILE = "words.txt"  # the word list in the model
MAX_CHARS_PER_TOKEN = 8  # a CJK run is cut to this many characters per token still wanted before Jieba reads it


def _is_symbol_token(ch: str) -> bool:
    """Emojis and other pictographs carry meaning; ordinary punctuation does not."""
    return unicodedata.category(ch) in ("So", "Sk")


def lookup_words(training_data: TrainingData) -> List[str]:
    """The Chinese entries of the training data's lookup tables (product names, aliases, colours)."""
    words = []
    for table in training_data.lookup_tables:
        elements = table.get("elements")
        if isinstance(elements, list):
            words += [str(e).strip() for e in elements if CJK_RUN.search(str(e))]
    return words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
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

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        words: Optional[List[str]] = None,
    ) -> None:
        super().__init__(config)
        import jieba

        from components import rasa_speedups

        rasa_speedups.install()  # the Rasa server loads this component with the model

        self._storage, self._resource = model_storage, resource
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self.words = sorted(set(SERVICE_WORDS.read_text(encoding="utf-8").split()) | {w for w in words or [] if w})
        for word in self.words:
            self._jieba.add_word(word)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MixedTokenizer":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the shop's words from the lookup tables and keep them in the model."""
        words = sorted(set(self.words) | set(lookup_words(training_data)))
        with self._storage.write_to(self._resource) as folder:
            (folder / WORDS_FILE).write_text("\n".join(words), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MixedTokenizer":
        try:
            with model_storage.read_from(resource) as folder:
                words = (folder / WORDS_FILE).read_text(encoding="utf-8").split("\n")
        except (ValueError, FileNotFoundError):  # not trained (a test, or a model from before the word list)
            words = []
        return cls(config, model_storage, resource, words)

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
            elif piece[0].isalnum() or piece[0] == "#" and len(piece) > 1 or _is_symbol_token(piece):
                tokens.append(Token(piece, start))
        del tokens[limit:]
        if not tokens and text.strip():
            # only punctuation ("???"): keep one token so every featurizer has something
            stripped = text.strip()
            tokens.append(Token(stripped, text.index(stripped)))
        return self._apply_token_pattern(tokens)
