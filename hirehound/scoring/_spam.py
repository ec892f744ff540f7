"""Spam score in three stages, cheapest first: rules, text model, similarity to known spam.

Combination (one probability-like score, noisy-OR of independent evidence):

    score = 1 - (1 - rules) * (1 - model_evidence) * (1 - similarity_evidence)

- rules: noisy-OR of the weights of the rules that fired (``_rules.py``);
- model_evidence: the text model's probability p put on the decision scale: the model file
  carries two probability thresholds chosen by cross-validation on its training data only
  (scripts/train_spam.py), and p is mapped piecewise-linearly so that p = hold_probability
  gives HOLD_THRESHOLD and p = spam_probability gives SPAM_THRESHOLD; below MODEL_FLOOR x
  hold_probability it adds nothing (a weak rule alone never holds a posting);
  The model abstains on a text mostly in a non-Latin script (MIN_ASCII_SHARE);
- similarity_evidence: the best cosine to a known-spam embedding, counted from SIMILARITY_FLOOR
  and decisive from SIMILARITY_THRESHOLD (a near copy of confirmed spam is spam).

Two levels: ``held`` (score >= HOLD_THRESHOLD: kept back for an operator's review, see
``hirehound review``) and ``spam`` (score >= SPAM_THRESHOLD: ``is_spam``). The text is scored in
its comparison form (``hirehound.text.fold_for_match``), so homoglyphs, zero-width characters
or mojibake do not hide a scam's words. Figures: benchmarks/spam_eval.py (held-out splits only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from hirehound.scoring._model import MAX_CHARS, TextModel
from hirehound.scoring._rules import evaluate
from hirehound.text import fold_for_match

HOLD_THRESHOLD = 0.5
SPAM_THRESHOLD = 0.9
MODEL_FLOOR = 0.6
SIMILARITY_FLOOR = 0.85
SIMILARITY_THRESHOLD = 0.95
# Below this share of ASCII characters (after folding) the text model abstains.
MIN_ASCII_SHARE = 0.6

Verdict = Literal["ok", "held", "spam"]

DEFAULT_MODEL = Path(__file__).parent / "data" / "spam_model.json.gz"


@dataclass(frozen=True, slots=True)
class SpamInput:
    """What the spam score looks at for one posting."""

    title: str
    description_text: str
    company: str | None
    url: str | None
    salary_min: float | None
    salary_max: float | None
    salary_period: str | None
    employment_type: str | None
    has_company_logo: bool | None = None
    remote: bool | None = None


@dataclass(frozen=True, slots=True)
class SpamResult:
    """Score in [0, 1], the verdict, and why (``rule:...``, ``model:0.91``, ``similar_to...``)."""

    score: float
    verdict: Verdict
    reasons: tuple[str, ...]

    @property
    def is_spam(self) -> bool:
        """Confirmed spam (the high level); ``held`` postings wait for review."""
        return self.verdict == "spam"

    @property
    def flagged(self) -> bool:
        """Not published without review: held or spam."""
        return self.verdict != "ok"


def verdict_of(score: float) -> Verdict:
    """The level a combined score reaches."""
    return "spam" if score >= SPAM_THRESHOLD else "held" if score >= HOLD_THRESHOLD else "ok"


class SpamScorer:
    """Scores postings for spam; load once per process (the model holds ~10 MB)."""

    def __init__(self, model: TextModel) -> None:
        self._model = model

    @classmethod
    def load(cls, path: Path | None = None) -> SpamScorer:
        """Load the exported text model (the shipped one by default)."""
        from hirehound.errors import ConfigurationError

        target = path or DEFAULT_MODEL
        try:
            return cls(TextModel.load(target))
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise ConfigurationError(f"cannot load spam model {target}: {exc}") from exc

    def model_probability(self, item: SpamInput) -> float:
        """Stage 2 alone: the text model's probability (for evaluation)."""
        return self._model.predict(fold_for_match(f"{item.title}\n{item.description_text}"))

    @property
    def hold_probability(self) -> float:
        """The model probability that alone holds a posting for review."""
        return self._model.hold_probability

    @property
    def spam_probability(self) -> float:
        """The model probability that alone marks a posting spam."""
        return self._model.spam_probability

    def model_evidence(self, p: float) -> float:
        """The model's probability on the decision scale (module docstring)."""
        return float(model_evidence(p, self._model.hold_probability,
                                    self._model.spam_probability))

    def score_many(
        self,
        items: Sequence[SpamInput],
        *,
        embeddings: np.ndarray | None = None,
        known_spam: np.ndarray | None = None,
    ) -> list[SpamResult]:
        """Score a batch; ``embeddings`` (one row per item) are compared to ``known_spam`` rows."""
        similarity = _max_similarity(len(items), embeddings, known_spam)
        out: list[SpamResult] = []
        for i, item in enumerate(items):
            reasons: list[str] = []
            keep = 1.0
            low = fold_for_match(f"{item.title or ''}\n{item.description_text or ''}")
            for hit in evaluate(
                title=item.title or "",
                text=item.description_text or "",
                company=item.company,
                salary_min=item.salary_min,
                salary_max=item.salary_max,
                salary_period=item.salary_period,
                has_company_logo=item.has_company_logo,
                lowered=low,
            ):
                keep *= 1.0 - hit.weight
                reasons.append(f"rule:{hit.name}")
            head = low[:MAX_CHARS]
            # The model knows English words only: on a text mostly in another script (Hebrew,
            # Cyrillic...) its few known words say nothing, so it abstains.
            if len(head.encode("ascii", "ignore")) < MIN_ASCII_SHARE * len(head):
                reasons.append("model:abstained_non_latin")
                evidence = 0.0
            else:
                p = self._model.predict_lower(head)
                evidence = self.model_evidence(p)
            if evidence > 0:
                keep *= 1.0 - evidence
                reasons.append(f"model:{p:.2f}")
            sim = float(similarity[i]) if similarity is not None else 0.0
            if sim >= SIMILARITY_FLOOR:
                if sim >= SIMILARITY_THRESHOLD:
                    keep = 0.0
                else:
                    keep *= 1.0 - (sim - SIMILARITY_FLOOR) / (SIMILARITY_THRESHOLD
                                                              - SIMILARITY_FLOOR)
                reasons.append(f"similar_to_known_spam:{sim:.2f}")
            score = round(1.0 - keep, 4)
            out.append(SpamResult(score, verdict_of(score), tuple(reasons)))
        return out


def model_evidence(p: ArrayLike, hold: float, spam: float) -> np.ndarray:
    """Model probabilities ``p`` on the decision scale, for the model thresholds ``hold`` and
    ``spam``: shared with scripts/train_spam.py, which chooses the thresholds on the score of
    rules and model combined, not on the model alone."""
    xs = [0.0, MODEL_FLOOR * hold, hold, max(spam, hold + 1e-6), 1.0 + 1e-6]
    ys = [0.0, 0.0, HOLD_THRESHOLD, SPAM_THRESHOLD, 1.0]
    return np.asarray(np.interp(np.asarray(p, dtype=np.float64), xs, ys))


def _max_similarity(
    n: int, embeddings: np.ndarray | None, known_spam: np.ndarray | None
) -> np.ndarray | None:
    """Best cosine similarity of each item's embedding to any known-spam embedding."""
    if embeddings is None or known_spam is None or len(known_spam) == 0 or n == 0:
        return None
    e = np.asarray(embeddings, dtype=np.float32)
    k = np.asarray(known_spam, dtype=np.float32)
    if e.ndim != 2 or k.ndim != 2 or e.shape[0] != n or e.shape[1] != k.shape[1]:
        raise ValueError(
            f"embeddings {e.shape} must be ({n}, d) and known_spam (m, d) with the same d"
        )
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    k = k / np.maximum(np.linalg.norm(k, axis=1, keepdims=True), 1e-12)
    return (e @ k.T).max(axis=1)
