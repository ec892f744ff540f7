"""Spam score in three stages, cheapest first: rules, text model, similarity to known spam.

Combination (one probability-like score, noisy-OR of independent evidence):

    score = 1 - (1 - rules) * (1 - MODEL_CAP * model_evidence) * (1 - similarity_evidence)

- rules: noisy-OR of the weights of the rules that fired (``_rules.py``);
- model_evidence: the text model's probability above MODEL_FLOOR rescaled to 0..1 (times
  MODEL_CAP). Alone it flags from p >= 0.9; with the weak "no company, no logo" rules from
  p >= 0.86. On the 4,429 real Ashby postings the model's highest p is 0.65 (99.9th
  percentile 0.56), so a real posting needs a strong rule as well to be held;
- similarity_evidence: the best cosine to a known-spam embedding, counted from SIMILARITY_FLOOR
  and decisive from SIMILARITY_THRESHOLD (a near copy of confirmed spam is spam).

``is_spam`` when score >= SPAM_THRESHOLD. Holding a real posting back is the worst outcome, so
the threshold is set for no false positives on the 4,429 real Ashby postings
(benchmarks/spam_eval.py prints the rates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hirehound.scoring._model import MAX_CHARS, TextModel
from hirehound.scoring._rules import evaluate

SPAM_THRESHOLD = 0.8
MODEL_FLOOR = 0.5
MODEL_CAP = 1.0
SIMILARITY_FLOOR = 0.85
SIMILARITY_THRESHOLD = 0.95

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
    is_spam: bool
    reasons: tuple[str, ...]


class SpamScorer:
    """Scores postings for spam; load once per process (the model is ~1 MB in memory)."""

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
        return self._model.predict(f"{item.title}\n{item.description_text}")

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
            low = f"{item.title or ''}\n{item.description_text or ''}".lower()
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
            p = self._model.predict_lower(low[:MAX_CHARS])
            if p > MODEL_FLOOR:
                keep *= 1.0 - MODEL_CAP * (p - MODEL_FLOOR) / (1.0 - MODEL_FLOOR)
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
            out.append(SpamResult(score, score >= SPAM_THRESHOLD, tuple(reasons)))
        return out


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
