"""Posting quality (JobPosting completeness) and spam scoring (rules, text model, similarity).

    quality_score(QualityInput(...)).score
    SpamScorer.load().score_many([SpamInput(...)], embeddings=E, known_spam=K)
    held_for_review(session); approve(session, ids); reject(session, ids)   # hirehound review
"""

from __future__ import annotations

from hirehound.scoring._quality import QualityInput, QualityResult, quality_score
from hirehound.scoring._review import (
    APPROVED,
    CLUSTER_HOLD,
    REJECTED,
    Held,
    approve,
    held_for_review,
    reject,
)
from hirehound.scoring._spam import (
    HOLD_THRESHOLD,
    SPAM_THRESHOLD,
    SpamInput,
    SpamResult,
    SpamScorer,
    verdict_of,
)

__all__ = [
    "APPROVED",
    "CLUSTER_HOLD",
    "HOLD_THRESHOLD",
    "REJECTED",
    "SPAM_THRESHOLD",
    "Held",
    "QualityInput",
    "QualityResult",
    "SpamInput",
    "SpamResult",
    "SpamScorer",
    "approve",
    "held_for_review",
    "quality_score",
    "reject",
    "verdict_of",
]
