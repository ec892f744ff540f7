"""The two-level spam decision: held for review, spam above a high level; robust to the
encoding tricks that hide a scam's words."""

from __future__ import annotations

import pytest

from hirehound.dedup.noise import add_noise
from hirehound.scoring import HOLD_THRESHOLD, SPAM_THRESHOLD, SpamScorer, verdict_of
from tests.unit.scoring.test_spam import FRAUD, LEGIT, item


@pytest.fixture(scope="module")
def scorer() -> SpamScorer:
    return SpamScorer.load()


@pytest.mark.parametrize(
    ("score", "verdict"),
    [(0.0, "ok"), (HOLD_THRESHOLD - 0.01, "ok"), (HOLD_THRESHOLD, "held"),
     (SPAM_THRESHOLD - 0.01, "held"), (SPAM_THRESHOLD, "spam"), (1.0, "spam")],
)
def test_levels(score: float, verdict: str) -> None:
    assert verdict_of(score) == verdict


def test_model_evidence_is_calibrated_to_the_levels(scorer: SpamScorer) -> None:
    assert 0.0 < scorer.hold_probability < scorer.spam_probability < 1.0
    assert scorer.model_evidence(scorer.hold_probability) == pytest.approx(HOLD_THRESHOLD)
    assert scorer.model_evidence(scorer.spam_probability) == pytest.approx(SPAM_THRESHOLD)
    assert scorer.model_evidence(0.1) == 0.0
    ps = [i / 20 for i in range(21)]
    ev = [scorer.model_evidence(p) for p in ps]
    assert ev == sorted(ev)


def test_verdicts_and_flags(scorer: SpamScorer) -> None:
    fraud, legit = scorer.score_many([item(FRAUD, company=None), item(LEGIT)])
    assert fraud.verdict == "spam" and fraud.is_spam and fraud.flagged
    assert legit.verdict == "ok" and not legit.flagged


@pytest.mark.parametrize("kind", ["homoglyphs", "zero_width", "full_width", "mojibake"])
def test_encoding_noise_does_not_hide_a_scam(scorer: SpamScorer, kind: str) -> None:
    clean = scorer.score_many([item(FRAUD, company=None)])[0]
    noisy = add_noise({"title": "Data entry", "company": None, "description": FRAUD}, kind, 3)
    res = scorer.score_many([item(noisy["description"], company=None)])[0]
    assert res.flagged and res.verdict == clean.verdict, (kind, res)


def test_model_abstains_on_non_latin_text(scorer: SpamScorer) -> None:
    hebrew = "דרוש/ה מזכיר/ה לחטיבת הנדסה, משרה מלאה באזור המרכז, ניסיון של שנתיים לפחות. " * 5
    res = scorer.score_many([item(hebrew, title="מזכיר/ה")])[0]
    assert "model:abstained_non_latin" in res.reasons and not res.flagged
