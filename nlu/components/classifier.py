"""``ChaniaIntentClassifier``: TF-IDF (sublinear tf, l2-normalised) views of the message + logistic regression.

Why it replaces ``CountVectorsFeaturizer`` + ``LogisticRegressionClassifier`` (measured in ``nlu/README.md``):
Rasa's pair feeds *raw counts* of word and character n-grams to a logistic regression with ``C=1`` and balanced
class weights, all fixed in code. Without length normalisation a one-word message is a tiny vector that the
intercepts outweigh (one-word messages 0.43 accuracy on dev-hard), and a long story is a huge one where the many
generic n-grams of the narrative drown the few that name the problem. Here every view is one unit-length vector
of sublinear (1 + log tf) TF-IDF weights, so common n-grams weigh little whatever the length, and ``C`` is a
setting (10: the data are small and clean, less regularisation fits the rare n-grams of typos and dialect).

Two inputs, both the same at training and parse time:

* the tokens of the tokenizer before it (``ChaniaNormalizer``: the ``to_latin`` form, where Greek and Greeklish
  spellings meet): ``char_ngrams`` (char_wb) and ``word_ngrams``;
* the person's own text, casefolded only: ``raw_char_ngrams`` / ``raw_word_ngrams``. ``to_latin`` is lossy on
  purpose (accents, script, doubled letters); the raw view keeps what it throws away, which helps code-mixed
  messages and typos (the issue's baseline reads only this view).

It writes ``intent`` and ``intent_ranking`` like Rasa's own classifiers.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

logger = logging.getLogger(__name__)

WORD = r"(?u)\b\w+\b"  # every word, one-letter ones too (scikit-learn's default drops them)


def normalised_text(message: Message) -> str:
    """The message as the tokenizer left it (normalised token texts joined by spaces)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(token.text for token in tokens) if tokens else (message.get(TEXT) or "")


def classifier_inputs(messages: list[Message]) -> list[tuple[str, str]]:
    """What the vectorizers read of each message: (normalised token text, the person's own text)."""
    return [(normalised_text(m), m.get(TEXT) or "") for m in messages]


def latin_view(doc: tuple[str, str]) -> str:
    """The normalised (``to_latin``) form: Greek and Greeklish spellings meet, accents and script are gone."""
    return doc[0]


def raw_view(doc: tuple[str, str]) -> str:
    """The person's own text, only casefolded: keeps accents, Greek or Latin script and the exact misspelling."""
    return doc[1].casefold()


def build_pipeline(config: dict[str, Any]) -> Pipeline:
    """The union of TF-IDF views the settings ask for, then logistic regression (unfitted)."""
    views = []
    for key, analyzer, view in (("char_ngrams", "char_wb", latin_view), ("word_ngrams", "word", latin_view),
                                ("raw_char_ngrams", "char_wb", raw_view), ("raw_word_ngrams", "word", raw_view)):
        if config.get(key):
            views.append(TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(config[key]), sublinear_tf=True,
                                         preprocessor=view, token_pattern=WORD if analyzer == "word" else None))
    return Pipeline([
        ("tfidf", make_union(*views)),
        ("logreg", LogisticRegression(C=float(config.get("C", 10.0)), class_weight=config.get("class_weight"),
                                      max_iter=int(config.get("max_iter", 2000)),
                                      random_state=config.get("random_state", 42))),
    ])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ChaniaIntentClassifier(IntentClassifier, GraphComponent):
    """Sublinear, l2-normalised TF-IDF of character (char_wb) and word n-grams, then logistic regression."""

    FILE_NAME = "intent_classifier.joblib"

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "char_ngrams": [2, 5],   # char_wb n-gram range; [] for none
            "word_ngrams": [1, 2],   # word n-gram range; [] for none
            "raw_char_ngrams": [],   # char_wb n-grams of the casefolded original text (accents, script); [] for none
            "raw_word_ngrams": [],   # word n-grams of the casefolded original text; [] for none
            "C": 10.0,
            "class_weight": None,    # or "balanced"
            "max_iter": 2000,
            "random_state": 42,
            "ranking_length": LABEL_RANKING_LENGTH,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        for key in ("char_ngrams", "word_ngrams", "raw_char_ngrams", "raw_word_ngrams"):
            value = config[key]
            if value and not (isinstance(value, list) and len(value) == 2 and 1 <= value[0] <= value[1]):
                raise InvalidConfigException(f"ChaniaIntentClassifier: '{key}' must be [min, max] with "
                                             f"1 <= min <= max, or [] (got {value!r})")
        if not any(config[k] for k in ("char_ngrams", "word_ngrams", "raw_char_ngrams", "raw_word_ngrams")):
            raise InvalidConfigException("ChaniaIntentClassifier: every n-gram range is empty")
        if not float(config["C"]) > 0:
            raise InvalidConfigException(f"ChaniaIntentClassifier: 'C' must be > 0 (got {config['C']!r})")

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Pipeline | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ChaniaIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("ChaniaIntentClassifier: fewer than two intents in the training data; not trained.")
            return self._resource
        pipeline = build_pipeline(self._config)
        pipeline.fit(classifier_inputs(examples), [e.get(INTENT) for e in examples])
        pipeline.reads_pairs = True  # persisted with it: older archives read the normalised text only
        self._pipeline = pipeline
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._pipeline, directory / self.FILE_NAME)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ChaniaIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / cls.FILE_NAME)  # our own model archive, written by persist()
        except (ValueError, FileNotFoundError):
            logger.warning("ChaniaIntentClassifier: nothing persisted for %s; it will predict no intent.",
                           resource.name)
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._pipeline is None or not messages:
            return messages
        if getattr(self._pipeline, "reads_pairs", False):
            inputs: list[Any] = classifier_inputs(messages)
        else:  # a model trained before the raw-text views: it reads the normalised text only
            inputs = [normalised_text(m) for m in messages]
        probabilities = self._pipeline.predict_proba(inputs)
        classes = self._pipeline.classes_
        length = int(self._config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": str(classes[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages
