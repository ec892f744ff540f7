"""The runtime text model (numpy, JSON weights) gives the probabilities of the scikit-learn
models scripts/train_spam.py fitted, for both export formats."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from hirehound.scoring._model import TextModel

pytest.importorskip("sklearn")

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "train_spam.py"

FRAUD = [
    "earn money from home data entry no experience needed weekly pay send details",
    "work from home earn cash daily no interview needed contact us on whatsapp today",
    "data entry clerk work from home earn money weekly apply now no experience",
    "earn cash from home easy money no experience data entry weekly pay",
]
LEGIT = [
    "senior backend engineer python postgresql distributed systems code review mentoring",
    "product designer figma user research design systems collaborate engineers",
    "backend engineer python aws distributed systems on call code review",
    "data engineer python spark pipelines warehouse modelling code review",
]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_spam", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("c_nb", [None, 1.0])
def test_runtime_model_matches_training(c_nb: float | None) -> None:
    ts = _script()
    stop = frozenset({"on", "us", "from", "no", "now"})
    texts = FRAUD + LEGIT
    y = np.array([1] * len(FRAUD) + [0] * len(LEGIT))
    docs = ts._docs(texts, stop)
    vec, counts = ts._vectorize(docs)
    model = ts._Linear(counts, y, np.ones(len(y)), 4.0, c_nb)
    export = ts.export_model(vec, model, stop)
    assert export["format"].endswith("/2" if c_nb else "/1")
    runtime = TextModel(export)
    probe = ["Earn money from home, no experience!", "Backend engineer (Python, AWS)",
             "nothing known here"]
    expected = model.predict(vec.transform(ts._docs([p.lower() for p in probe], stop)))
    got = [runtime.predict(p) for p in probe]
    assert got == pytest.approx(list(expected), abs=1e-5)
    assert got[0] > 0.5 > got[1]


def test_runtime_stacked_model_matches_training() -> None:
    """Format 3: the stacker over both models' log-odds, the neighbour cosines (reference rows
    cut to their heaviest terms) and the token count, to 1e-6."""
    ts = _script()
    ts.KNN_TERMS = 6  # the probe texts are short: make the cut bite
    stop = frozenset({"on", "us", "from", "no", "now"})
    texts = FRAUD + LEGIT
    y = np.array([1] * len(FRAUD) + [0] * len(LEGIT))
    docs = ts._docs(texts, stop)
    vec, counts = ts._vectorize(docs)
    w = np.ones(len(y))
    base = ts._Linear(counts, y, w, 4.0, 1.0)
    ref = ts.knn_reference(base.tfidf, counts)
    assert ref.getnnz(axis=1).max() <= 6
    sims = ts.knn_sims(base.tfidf, ref, y == 1, counts)
    x = ts.stack_features(base.decisions(counts), sims, ts.n_tokens(docs))
    model = ts._Stack(base, ref, y == 1, ts._Stacker(x, y, w))
    export = ts.export_model(vec, model, stop)
    assert export["format"] == "hirehound-spam-stack/3"
    runtime = TextModel(export)
    probe = ["Earn money from home, no experience!", "Backend engineer (Python, AWS)",
             "nothing known here", "Data entry clerk: earn cash weekly from home, apply now",
             "Senior data engineer, Spark pipelines and code review"]
    probe_docs = ts._docs([p.lower() for p in probe], stop)
    expected = model.predict(vec.transform(probe_docs), ts.n_tokens(probe_docs))
    got = [runtime.predict(p) for p in probe]
    assert got == pytest.approx(list(expected), abs=1e-6)
    assert runtime.predict(FRAUD[0]) > 0.5 > runtime.predict(LEGIT[0])
