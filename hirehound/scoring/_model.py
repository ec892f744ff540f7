"""The spam text model at runtime: linear models over word uni- and bigrams, recomputed with
numpy.

Format 2 is the mean of two logistic regressions over one vocabulary: one on sublinear TF-IDF
(l2-normalised), one on term presence scaled by naive-Bayes log-count ratios (NB-LR, Wang and
Manning 2012; the ratios are folded into its weights). Format 1 is the first alone. Format 3
stacks them: a logistic regression over both models' log-odds, the best cosine of the text's
TF-IDF vector to a fraudulent and to a legitimate EMSCAD training row (rows cut to their
heaviest terms) and log(1 + tokens). The weights come from ``scripts/train_spam.py`` as JSON,
so there is no pickle to trust and no coupling to the scikit-learn version that trained it.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np

FORMAT = "hirehound-spam-tfidf-lr/1"
FORMAT_NB = "hirehound-spam-tfidf-lr-nblr/2"
FORMAT_STACK = "hirehound-spam-stack/3"
# every byte but [a-z0-9] becomes a space (input is lowercased; non-ASCII became "?")
_SEPARATE = bytes(b if 48 <= b <= 57 or 97 <= b <= 122 else 32 for b in range(256))
MAX_CHARS = 20_000  # longer descriptions add cost, not evidence


class TextModel:
    """P(fraud | text) from the exported weights (module docstring)."""

    def __init__(self, data: dict[str, object]) -> None:
        fmt = data.get("format")
        if fmt not in (FORMAT, FORMAT_NB, FORMAT_STACK):
            raise ValueError(f"unknown spam model format {fmt!r}")
        self.stop_words: frozenset[str] = frozenset(data["stop_words"])  # type: ignore[call-overload]
        vocabulary: dict[str, int] = data["vocabulary"]  # type: ignore[assignment]
        # Terms as bytes; bigrams by (a, b) tuple: Counter(pairwise(...)) builds those tuples
        # in C, so no bigram string is ever joined at runtime (0.4 -> ~0.15 ms per posting).
        self._stop_bytes = frozenset(w.encode() for w in self.stop_words)
        self._unigrams = {t.encode(): i for t, i in vocabulary.items() if " " not in t}
        self._bigrams = {tuple(w.encode() for w in t.split(" ")): i
                         for t, i in vocabulary.items() if " " in t}
        idf = np.asarray(data["idf"], dtype=np.float64)
        coef = np.asarray(data["coef"], dtype=np.float64)
        # The score is sum(w_t * idf_t * coef_t) / ||w * idf||: keep both products per term.
        self._idf_coef = idf * coef
        self._idf = idf
        self.intercept = float(data["intercept"])  # type: ignore[arg-type]
        # NB-LR: weight per present term (coef x log-count ratio), None in format 1
        self._nb_coef = (np.asarray(data["nb_coef"], dtype=np.float64)
                         if fmt in (FORMAT_NB, FORMAT_STACK) else None)
        self._nb_intercept = float(data.get("nb_intercept", 0.0))  # type: ignore[arg-type]
        self.sublinear = bool(data.get("sublinear_tf", True))
        self._stacked = fmt == FORMAT_STACK
        if self._stacked:
            # Reference rows come as CSR (row -> terms); kept term -> (row, value), so a
            # posting's ~300 terms gather their lists in numpy. Transposed here by a stable
            # sort on the term (no scipy import in every scoring process: ~0.25 s).
            indptr = np.asarray(data["knn_indptr"], dtype=np.int64)
            terms = np.asarray(data["knn_terms"], dtype=np.int64)
            order = np.argsort(terms, kind="stable")
            self._knn_n = len(indptr) - 1
            self._knn_rows = np.repeat(np.arange(self._knn_n, dtype=np.int64),
                                       np.diff(indptr))[order]
            self._knn_vals = np.asarray(data["knn_values"], dtype=np.float64)[order]
            self._knn_ptr = np.concatenate(
                ([0], np.cumsum(np.bincount(terms, minlength=len(idf))))).astype(np.int64)
            self._knn_fraud = np.asarray(data["knn_fraud"], dtype=bool)
            stack: dict[str, object] = data["stack"]  # type: ignore[assignment]
            self._stack_coef = np.asarray(stack["coef"], dtype=np.float64)
            self._stack_intercept = float(stack["intercept"])  # type: ignore[arg-type]
            self._z_clip = float(stack["z_clip"])  # type: ignore[arg-type]
        # Probability thresholds chosen by cross-validation on the training data
        # (scripts/train_spam.py): hold for review from the first, spam from the second.
        self.hold_probability = float(data.get("hold_probability", 0.9))  # type: ignore[arg-type]
        self.spam_probability = float(data.get("spam_probability", 0.97))  # type: ignore[arg-type]

    def _cosines(self, idx: np.ndarray, wn: np.ndarray) -> np.ndarray:
        """Cosine of the l2-normalised vector (``wn`` on terms ``idx``) to each reference row."""
        pos, lengths = _gather(self._knn_ptr, idx)
        values = self._knn_vals[pos] * np.repeat(wn, lengths)
        return np.bincount(self._knn_rows[pos], weights=values, minlength=self._knn_n)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def predict(self, text: str) -> float:
        """Probability-like fraud score in [0, 1]."""
        return self.predict_lower(text[:MAX_CHARS].lower())

    def predict_lower(self, low: str) -> float:
        """``predict`` for text already lowercased (the scorer lowercases once for all stages)."""
        uni, bi = self._unigrams, self._bigrams
        # The tokens of _text.tokens (TOKEN_RE, [a-z0-9]+) via bytes.translate + split: 0.14
        # vs 0.23 ms per posting.
        words = low.encode("ascii", "replace").translate(_SEPARATE).split()
        if bi:
            # bigrams skip stop words, as the training text had them removed
            stop = self._stop_bytes
            toks = [t for t in words if t not in stop]
            c1 = Counter(toks)
            c2 = Counter(itertools.pairwise(toks))
            k2 = c2.keys() & bi.keys()
        else:
            # Unigram model: stop words are simply absent from the vocabulary.
            c1 = Counter(words)
            c2, k2 = Counter(), set()
        # dict-view intersections run in C: the Python code below sees only known terms
        k1 = c1.keys() & uni.keys()
        z, z_nb = self.intercept, self._nb_intercept
        sim_fraud = sim_legit = 0.0
        if k1 or k2:
            idx = [uni[t] for t in k1] + [bi[t] for t in k2]
            tf = np.array([c1[t] for t in k1] + [c2[t] for t in k2], dtype=np.float64)
            if self.sublinear:
                tf = 1.0 + np.log(tf)
            w = tf * self._idf[idx]
            norm = float(np.sqrt(w @ w))
            z += float(tf @ self._idf_coef[idx]) / norm
            if self._nb_coef is not None:
                z_nb += float(self._nb_coef[idx].sum())
            if self._stacked:
                sims = self._cosines(np.asarray(idx), w / norm)
                sim_fraud = float(sims[self._knn_fraud].max())
                sim_legit = float(sims[~self._knn_fraud].max())
        if self._stacked:
            clip = self._z_clip
            x = np.array([min(max(z, -clip), clip), min(max(z_nb, -clip), clip), sim_fraud,
                          sim_legit, math.log1p(len(toks))])
            return _sigmoid(float(x @ self._stack_coef) + self._stack_intercept)
        p = _sigmoid(z)
        return p if self._nb_coef is None else (p + _sigmoid(z_nb)) / 2.0


def _gather(ptr: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of rows ``idx`` (concatenated) and each row's length."""
    starts, lengths = ptr[idx], ptr[idx + 1] - ptr[idx]
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum())), lengths


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 500.0), -500.0)))
