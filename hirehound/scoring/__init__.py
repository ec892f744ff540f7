"""Posting quality (JobPosting completeness) and spam scoring (rules, text model, similarity).

    quality_score(QualityInput(...)).score
    SpamScorer.load().score_many([SpamInput(...)], embeddings=E, known_spam=K)
"""

from __future__ import annotations

from hirehound.scoring._quality import QualityInput, QualityResult, quality_score
from hirehound.scoring._spam import (
    HOLD_THRESHOLD,
    SPAM_THRESHOLD,
    SpamInput,
    SpamResult,
    SpamScorer,
    verdict_of,
)

__all__ = [
    "HOLD_THRESHOLD",
    "SPAM_THRESHOLD",
    "QualityInput",
    "QualityResult",
    "SpamInput",
    "SpamResult",
    "SpamScorer",
    "quality_score",
    "verdict_of",
]
