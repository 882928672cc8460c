"""``ChaniaIntentClassifier``: TF-IDF (sublinear tf, l2-normalised) views of the message + logistic regression.

Why it replaces ``CountVectorsFeaturizer`` + ``LogisticRegressionClassifier`` (measured in ``nlu/README.md``):
Rasa's pair feeds *raw counts* of word and character n-grams to a logistic regression with ``C=1`` and balanced
class weights, all fixed in code. Without length normalisation a one-word message is a tiny vector that the
intercepts outweigh (one-word messages 0.43 accuracy on dev-hard), and a long story is a huge one where the many
generic n-grams of the narrative drown the few that name the problem. Here every view is one unit-length vector
of sublinear (1 + log tf) TF-IDF weights, so common n-grams weigh little whatever the length, and ``C`` is a
setting (default 10, config.yml 20: the data are small and clean, less regularisation fits the rare n-grams of
typos and dialect).

Two inputs, both the same at training and parse time:

* the tokens of the tokenizer before it (``ChaniaNormalizer``: the ``to_latin`` form, where Greek and Greeklish
  spellings meet): ``char_ngrams`` (char_wb) and ``word_ngrams``;
* the person's own text, casefolded only: ``raw_char_ngrams`` / ``raw_word_ngrams``. ``to_latin`` is lossy on
  purpose (accents, script, doubled letters); the raw view keeps what it throws away, which helps code-mixed
  messages and typos (the issue's baseline reads only this view).

Optional structure (issue 11, third round; all off by default, measured in ``nlu/README.md``):

* ``baseline_view``: one more view, the issue baseline's exact features (raw text lower-cased, char_wb 2-5);
* ``ensemble: baseline``: a second logistic regression fitted on the baseline's features alone, whose
  probabilities are averaged with the main one's (``ensemble_weight`` is the second model's share) instead of one
  regression over the union;
* ``segments: sentences | clauses`` with ``combine: max | mean``: a message of two or more sentences (clauses) is
  also scored sentence by sentence, and the whole message's and the sentences' probabilities are combined (the
  largest per intent, or the mean of their logarithms), so the one sentence of a long story that names the
  problem can decide;
* ``sublinear_tf``, ``use_idf``, ``norm``: the TF-IDF weighting of the views.

It writes ``intent`` and ``intent_ranking`` like Rasa's own classifiers.
"""

from __future__ import annotations

import logging
import re
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


def lower_raw_view(doc: tuple[str, str]) -> str:
    """The person's own text lower-cased, exactly what the issue's baseline reads (``str.lower``: keeps final ς)."""
    return doc[1].lower()


# The issue-11 baseline's model (nlu/baseline.py): raw text, char_wb 2-5, sublinear tf, l2, LR C=10.
BASELINE_FEATURES: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True}
BASELINE_C = 10.0


def _logreg(config: dict[str, Any], C: float | None = None) -> LogisticRegression:
    return LogisticRegression(C=float(C if C is not None else config.get("C", 10.0)),
                              class_weight=config.get("class_weight"), max_iter=int(config.get("max_iter", 2000)),
                              random_state=config.get("random_state", 42))


def baseline_pipeline(config: dict[str, Any] | None = None) -> Pipeline:
    """The baseline's features and regression, reading the (latin, raw) pairs the component gives (unfitted)."""
    config = config or {}
    return Pipeline([("tfidf", TfidfVectorizer(**BASELINE_FEATURES, preprocessor=lower_raw_view)),
                     ("logreg", _logreg(config, BASELINE_C))])


def build_pipeline(config: dict[str, Any]) -> Pipeline | AveragedPipelines:
    """The union of TF-IDF views the settings ask for, then logistic regression (unfitted); with ``ensemble``,
    that and a baseline-feature regression whose probabilities are averaged."""
    weighting = {"sublinear_tf": bool(config.get("sublinear_tf", True)), "use_idf": bool(config.get("use_idf", True)),
                 "norm": config.get("norm", "l2")}
    views = []
    for key, analyzer, view in (("char_ngrams", "char_wb", latin_view), ("word_ngrams", "word", latin_view),
                                ("raw_char_ngrams", "char_wb", raw_view), ("raw_word_ngrams", "word", raw_view)):
        if config.get(key):
            views.append(TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(config[key]), preprocessor=view,
                                         token_pattern=WORD if analyzer == "word" else None, **weighting))
    if config.get("baseline_view"):
        views.append(TfidfVectorizer(**BASELINE_FEATURES, preprocessor=lower_raw_view))
    main = Pipeline([("tfidf", make_union(*views)), ("logreg", _logreg(config))])
    if config.get("ensemble") == "baseline":
        return AveragedPipelines([main, baseline_pipeline(config)],
                                 [1.0 - float(config.get("ensemble_weight", 0.5)),
                                  float(config.get("ensemble_weight", 0.5))])
    return main


def regressions(model: Any) -> list[LogisticRegression]:
    """The logistic regressions inside a fitted model (a pipeline, or the pipelines an ensemble averages)."""
    pipelines = model.pipelines if isinstance(model, AveragedPipelines) else [model]
    return [step for p in pipelines for _, step in getattr(p, "steps", []) if isinstance(step, LogisticRegression)]


def fast_coefficients(model: Any) -> Any:
    """Stores each regression's coefficients column-major, same values. scikit-learn scores a message as
    ``X @ coef_.T`` with X sparse; scipy copies a dense operand that is not row-major first, and ``coef_.T`` of the
    row-major ``coef_`` lbfgs leaves is column-major: with ~67 000 n-grams × 25 intents that copy (13 MB) was 7 of
    a parse's 10 ms. Column-major ``coef_`` makes ``coef_.T`` row-major, and the product takes microseconds."""
    for regression in regressions(model):
        regression.coef_ = np.asfortranarray(regression.coef_)
    return model


class AveragedPipelines:
    """Several classifiers fitted on the same data; ``predict_proba`` is their weighted mean (same class order)."""

    reads_pairs = True

    def __init__(self, pipelines: list[Pipeline], weights: list[float]) -> None:
        self.pipelines = pipelines
        self.weights = weights

    def fit(self, docs: list[Any], intents: list[str]) -> AveragedPipelines:
        for pipeline in self.pipelines:
            pipeline.fit(docs, intents)
        self.classes_ = self.pipelines[0].classes_
        return self

    def predict_proba(self, docs: list[Any]) -> np.ndarray:
        return sum(w * p.predict_proba(docs) for w, p in zip(self.weights, self.pipelines, strict=True))

    def predict(self, docs: list[Any]) -> np.ndarray:
        return self.classes_[self.predict_proba(docs).argmax(axis=1)]


_SENTENCE_END = re.compile(r"[.!?;\u037e\u0387…\n]+")
_CLAUSE_END = re.compile(r"[.!?;\u037e\u0387…\n,]+")


def segments(message: Message, clauses: bool = False) -> list[tuple[str, str]]:
    """The message's sentences (or clauses: commas too) as (normalised token text, own text) pairs; the token
    text is built from the tokenizer's tokens inside each span, so it is what the classifier reads of a message."""
    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    out, start = [], 0
    for match in [*(_CLAUSE_END if clauses else _SENTENCE_END).finditer(text), None]:
        end = match.end() if match else len(text)
        inside = [t.text for t in tokens if start <= t.start < end]
        if inside and text[start:end].strip():
            out.append((" ".join(inside), text[start:end].strip()))
        start = end
    return out


def message_probabilities(model: Any, messages: list[Message], config: dict[str, Any]) -> np.ndarray:
    """Each message's intent probabilities (rows in ``model.classes_`` order). With ``segments`` set, a message
    of two or more sentences is also scored per sentence and the rows are combined as ``combine`` says."""
    probabilities = model.predict_proba(classifier_inputs(messages))
    mode = config.get("segments")
    if not mode:
        return probabilities
    combine = config.get("combine", "max")
    for i, message in enumerate(messages):
        parts = segments(message, clauses=mode == "clauses")
        if len(parts) < 2:
            continue
        rows = np.vstack([probabilities[i], model.predict_proba(parts)])
        if combine == "mean":
            row = np.exp(np.log(np.clip(rows, 1e-12, None)).mean(axis=0))
        else:
            row = rows.max(axis=0)
        probabilities[i] = row / row.sum()
    return probabilities


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
            "sublinear_tf": True,    # the views' TF-IDF weighting
            "use_idf": True,
            "norm": "l2",
            "baseline_view": False,  # + the issue baseline's features (raw text lower-cased, char_wb 2-5)
            "ensemble": None,        # "baseline": average with a regression on the baseline's features
            "ensemble_weight": 0.5,  # that second regression's share of the probabilities
            "segments": None,        # "sentences" or "clauses": also score a longer message piece by piece
            "combine": "max",        # how: "max" (per intent) or "mean" (of log-probabilities)
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
        for key, allowed in (("ensemble", (None, "baseline")), ("segments", (None, "sentences", "clauses")),
                             ("combine", ("max", "mean")), ("norm", (None, "l1", "l2"))):
            if config[key] not in allowed:
                raise InvalidConfigException(f"ChaniaIntentClassifier: '{key}' must be one of {allowed} "
                                             f"(got {config[key]!r})")
        if not 0 <= float(config["ensemble_weight"]) <= 1:
            raise InvalidConfigException("ChaniaIntentClassifier: 'ensemble_weight' must be between 0 and 1 "
                                         f"(got {config['ensemble_weight']!r})")

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Pipeline | AveragedPipelines | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = fast_coefficients(pipeline) if pipeline is not None else None  # archives of any age

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
        self._pipeline = fast_coefficients(pipeline)
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
            probabilities = message_probabilities(self._pipeline, messages, self._config)
        else:  # a model trained before the raw-text views: it reads the normalised text only
            probabilities = self._pipeline.predict_proba([normalised_text(m) for m in messages])
        classes = self._pipeline.classes_
        length = int(self._config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": str(classes[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages
