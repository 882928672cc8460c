"""``ChaniaIntentClassifier`` itself, in the Rasa venv (it imports rasa and scikit-learn, which the service does not
have): its two views (the ``to_latin`` tokens and the casefolded original text), its settings' validation, and a
model archive written before the raw-text view still answering; the optional structure (a baseline-feature
regression averaged in, sentence-by-sentence scoring of longer messages); its coefficients' memory layout. The real
server runs it in test_nlu_server.py."""

from __future__ import annotations

import json
import subprocess

from bot.rasa.server import VENV_PYTHON, ensure_nlu_env, rasa_env

SCRIPT = r'''
import json
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from nlu.components.classifier import ChaniaIntentClassifier, classifier_inputs
from nlu.components.normalizer import ChaniaNormalizer

TRAIN = [("δεν ανάβει η λάμπα", "complaint_lighting"), ("σκοτάδι στο στενό", "complaint_lighting"),
         ("kamenh lampa", "complaint_lighting"), ("the street light is out", "complaint_lighting"),
         ("γέμισε ο κάδος", "complaint_waste"), ("σκουπίδια παντού", "complaint_waste"),
         ("o kados gemise", "complaint_waste"), ("the bins are full", "complaint_waste")]
tokenizer = ChaniaNormalizer({"form": "latin"})

def messages(texts):
    out = [Message(data={"text": t}) for t in texts]
    tokenizer.process(out)
    return out

def answer(classifier, text):
    message = messages([text])[0]
    classifier.process([message])
    return message.get("intent")

out = {}
examples = messages([t for t, _ in TRAIN])
for m, (_, intent) in zip(examples, TRAIN):
    m.set("intent", intent)
new = ChaniaIntentClassifier({"raw_char_ngrams": [1, 4]}, None, None)
new.persist = lambda: None  # no model storage here
new.train(TrainingData(training_examples=examples))
out["new"] = {t: answer(new, t) for t in ["Δεν ανάβει η λάμπα", "ΔΕΝ ΑΝΑΒΕΙ Η ΛΑΜΠΑ", "δεν αναβει η λαμπα"]}
out["inputs"] = classifier_inputs(messages(["Δεν ανάβει"]))

# an archive of the November 2026 pipeline: a bare pipeline over the normalised text, without `reads_pairs`
old_pipeline = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                             LogisticRegression(C=10, max_iter=2000))
old_pipeline.fit([" ".join(t.text for t in m.get("text_tokens")) for m in examples], [i for _, i in TRAIN])
old = ChaniaIntentClassifier({}, None, None, old_pipeline)
out["old"] = answer(old, "γέμισε ο κάδος στη γωνία")

# a second regression on the baseline's features, probabilities averaged; it survives persisting like the first
import io, joblib, numpy as np
from nlu.components.classifier import AveragedPipelines, message_probabilities, segments
ens = ChaniaIntentClassifier({"raw_char_ngrams": [1, 4], "ensemble": "baseline", "ensemble_weight": 0.4}, None, None)
ens.persist = lambda: None
ens.train(TrainingData(training_examples=examples))
probe = messages(["Γέμισε ο κάδος στη γωνία"])
main, second = ens._pipeline.pipelines
mixed = 0.6 * main.predict_proba(classifier_inputs(probe)) + 0.4 * second.predict_proba(classifier_inputs(probe))
buffer = io.BytesIO(); joblib.dump(ens._pipeline, buffer); buffer.seek(0)
reloaded = ChaniaIntentClassifier({"ensemble": "baseline"}, None, None, joblib.load(buffer))
out["ensemble"] = {"averaged": type(ens._pipeline) is AveragedPipelines,
                   "mixed_is_mean": bool(np.allclose(ens._pipeline.predict_proba(classifier_inputs(probe)), mixed)),
                   "answer": answer(reloaded, "Γέμισε ο κάδος στη γωνία")}

# sentence by sentence: the pieces keep the tokenizer's text; max per intent over the message and its sentences
story = messages(["Καλημέρα σας, μένω στη Χαλέπα. Γέμισε ο κάδος! Ευχαριστώ"])[0]
out["segments"] = segments(story)
out["clauses"] = segments(story, clauses=True)
whole = new._pipeline.predict_proba(classifier_inputs([story]))[0]
pieces = new._pipeline.predict_proba(segments(story))
expected = np.vstack([whole, pieces]).max(axis=0)
config = {"segments": "sentences", "combine": "max"}
combined = message_probabilities(new._pipeline, [story], config)[0]
one = messages(["γέμισε ο κάδος"])
out["combine"] = {"max": bool(np.allclose(combined, expected / expected.sum())),
                  "sums_to_one": bool(abs(combined.sum() - 1) < 1e-9),
                  "one_sentence_unchanged": bool(np.allclose(message_probabilities(new._pipeline, one, config),
                                                             new._pipeline.predict_proba(classifier_inputs(one))))}

# coefficients stored column-major (a parse's regression step in microseconds), same probabilities, on any archive
import copy
from nlu.components.classifier import fast_coefficients, regressions
three = messages(["δεν ανάβει η λάμπα", "γέμισε ο κάδος", "λακούβα στο δρόμο", "the light is out", "bins are full",
                  "pothole in the road"])
for m, intent in zip(three, ["complaint_lighting", "complaint_waste", "complaint_roads"] * 2):
    m.set("intent", intent)
tri = ChaniaIntentClassifier({"raw_char_ngrams": [1, 4], "ensemble": "baseline"}, None, None)
tri.persist = lambda: None
tri.train(TrainingData(training_examples=three))
row_major = copy.deepcopy(tri._pipeline)
for regression in regressions(row_major):
    regression.coef_ = np.ascontiguousarray(regression.coef_)
probe = classifier_inputs(messages(["Λάμπα σβηστή και κάδος γεμάτος", "lakouva"]))
reference = row_major.predict_proba(probe)
loaded = ChaniaIntentClassifier({"ensemble": "baseline"}, None, None, copy.deepcopy(row_major))
out["layout"] = {"regressions": len(regressions(tri._pipeline)),
                 "row_major_before": [r.coef_.flags.c_contiguous and not r.coef_.flags.f_contiguous
                                      for r in regressions(row_major)],
                 "trained": [r.coef_.flags.f_contiguous for r in regressions(tri._pipeline)],
                 "loaded": [r.coef_.flags.f_contiguous for r in regressions(loaded._pipeline)],
                 "same": bool(np.array_equal(fast_coefficients(copy.deepcopy(row_major)).predict_proba(probe),
                                             reference))}

out["refused"] = []
for bad in ({"raw_char_ngrams": [3, 1]}, {"raw_word_ngrams": [0, 2]},
            {"char_ngrams": [], "word_ngrams": [], "raw_char_ngrams": []}, {"ensemble": "diet"},
            {"segments": "words"}, {"combine": "vote"}, {"ensemble_weight": 1.5}):
    try:
        ChaniaIntentClassifier(bad, None, None)
    except InvalidConfigException as exc:
        out["refused"].append(str(exc))
print(json.dumps(out, ensure_ascii=False))
'''


def test_the_classifier_reads_both_views_and_old_archives_still_answer() -> None:
    ensure_nlu_env()
    proc = subprocess.run([str(VENV_PYTHON), "-c", SCRIPT], env=rasa_env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    accented, upper, unaccented = out["new"].values()
    assert {accented["name"], upper["name"], unaccented["name"]} == {"complaint_lighting"}
    # the raw view casefolds only: upper-case is the unaccented lower-case message, accents count
    assert abs(upper["confidence"] - unaccented["confidence"]) < 1e-9
    assert abs(accented["confidence"] - unaccented["confidence"]) > 1e-6
    assert out["inputs"] == [["den anavi", "Δεν ανάβει"]]  # (to_latin tokens, the person's own text)

    assert out["old"]["name"] == "complaint_waste"  # a pre-December archive reads the normalised text only

    assert out["ensemble"]["averaged"] and out["ensemble"]["mixed_is_mean"]
    assert out["ensemble"]["answer"]["name"] == "complaint_waste"  # the reloaded archive answers

    assert out["segments"] == [["kalimera sas meno sti xalepa", "Καλημέρα σας, μένω στη Χαλέπα."],
                               ["gemise o kados", "Γέμισε ο κάδος!"], ["efxaristo", "Ευχαριστώ"]]
    assert [raw for _, raw in out["clauses"]] == ["Καλημέρα σας,", "μένω στη Χαλέπα.", "Γέμισε ο κάδος!", "Ευχαριστώ"]
    assert out["combine"] == {"max": True, "sums_to_one": True, "one_sentence_unchanged": True}

    # three intents: a (3, n) matrix, row-major as lbfgs leaves it, column-major once trained or loaded, same answers
    assert out["layout"] == {"regressions": 2, "row_major_before": [True, True], "trained": [True, True],
                             "loaded": [True, True], "same": True}

    assert len(out["refused"]) == 7
    assert "raw_char_ngrams" in out["refused"][0] and "raw_word_ngrams" in out["refused"][1]
    assert "every n-gram range is empty" in out["refused"][2]
    assert [m.split("'")[1] for m in out["refused"][3:]] == ["ensemble", "segments", "combine", "ensemble_weight"]
