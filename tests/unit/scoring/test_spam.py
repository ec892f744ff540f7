from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from hirehound.errors import ConfigurationError
from hirehound.scoring import SPAM_THRESHOLD, SpamInput, SpamScorer
from hirehound.scoring._rules import evaluate

LEGIT = (
    "About the role: you will design and build the backend services behind our payments "
    "platform in Python and PostgreSQL, work with product and design on new features, review "
    "code and mentor engineers. Requirements: 5+ years building distributed systems, "
    "experience with AWS, strong communication skills. Benefits: health insurance, 25 days "
    "of paid time off, learning budget. We are an equal opportunity employer."
)
FRAUD = (
    "Data entry clerk work from home. No experience required! Earn $500 per day. "
    "We will send you a check to deposit; cash the check and send the remaining money back "
    "to us via Western Union. Contact our hiring manager on WhatsApp +1 555 0100 or email "
    "your resume to hiringteam2024@gmail.com. Pay a small registration fee of $50 to start."
)


def item(text: str, **kw: object) -> SpamInput:
    base: dict[str, object] = dict(title="Engineer", description_text=text, company="Acme",
                                   url=None, salary_min=None, salary_max=None,
                                   salary_period=None, employment_type=None)
    base.update(kw)
    return SpamInput(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def scorer() -> SpamScorer:
    return SpamScorer.load()


def rules(text: str, **kw: object) -> set[str]:
    args: dict[str, object] = dict(title="Engineer", text=text, company="Acme",
                                   salary_min=None, salary_max=None, salary_period=None,
                                   has_company_logo=None)
    args.update(kw)
    return {h.name for h in evaluate(**args)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Send the payment via Western Union", "wire_transfer"),
        ("then wire the funds back to the company", "wire_transfer"),
        ("A refundable registration fee of $80 is required", "payment_request"),
        ("You must purchase a starter kit", "payment_request"),
        ("Your first task: cash the check we mail you", "check_cashing"),
        ("Salary paid in bitcoin weekly", "crypto_payment"),
        ("Contact the recruiter on WhatsApp for an interview", "messenger_contact"),
        ("Telegram: +44 7700 900000", "messenger_contact"),
        ("Please send your resume to jobs.recruit@gmail.com", "personal_email"),
        ("Provide your bank account details to get started", "personal_data"),
        ("Be your own boss and get paid daily", "easy_money"),
        ("No experience required, earn $400 per day", "no_experience_high_pay"),
        ("APPLY NOW!!! GREAT PAY!!! " * 20, "shouting"),
    ],
)
def test_rule_hits(text: str, rule: str) -> None:
    assert rule in rules(text + " " + LEGIT)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # a fintech product description, not a request to the applicant
        ("Our app lets users transfer money to friends instantly", "wire_transfer"),
        ("Bookkeeping: deposit checks and reconcile accounts", "check_cashing"),
        ("Experience with the Signal protocol and WhatsApp Business API", "messenger_contact"),
        ("Questions? careers@acme.com", "personal_email"),
        ("We build crypto trading infrastructure", "crypto_payment"),
        ("No experience required, $18 per hour", "no_experience_high_pay"),
        ("Feedback culture and fees for conferences covered", "payment_request"),
    ],
)
def test_rule_does_not_fire_on_legit_wording(text: str, rule: str) -> None:
    assert rule not in rules(text + " " + LEGIT)


def test_field_rules() -> None:
    hits = rules("short", company=None, has_company_logo=False)
    assert {"missing_company", "no_company_logo", "short_description"} <= hits
    assert rules(LEGIT) == set()


def test_known_fraud_scores_high_and_real_posting_low(scorer: SpamScorer) -> None:
    fraud, legit = scorer.score_many([item(FRAUD, company=None), item(LEGIT)])
    assert fraud.is_spam and fraud.score >= SPAM_THRESHOLD
    assert "rule:wire_transfer" in fraud.reasons
    assert not legit.is_spam and legit.score < 0.3


def test_model_alone(scorer: SpamScorer) -> None:
    assert scorer.model_probability(item(FRAUD)) > 0.5 > scorer.model_probability(item(LEGIT))


def test_similarity_to_known_spam(scorer: SpamScorer) -> None:
    rng = np.random.default_rng(0)
    known = rng.normal(size=(3, 16)).astype(np.float32)
    emb = np.stack([known[1] + 0.01 * rng.normal(size=16), rng.normal(size=16)])
    near, far = scorer.score_many([item(LEGIT), item(LEGIT)], embeddings=emb,
                                  known_spam=known)
    assert near.is_spam and near.reasons[-1].startswith("similar_to_known_spam:")
    assert not far.is_spam
    # no known spam yet: similarity is simply skipped
    assert not scorer.score_many([item(LEGIT)], embeddings=emb[:1],
                                 known_spam=np.zeros((0, 16)))[0].is_spam


def test_similarity_shape_mismatch_is_clear(scorer: SpamScorer) -> None:
    with pytest.raises(ValueError, match="same d"):
        scorer.score_many([item(LEGIT)], embeddings=np.ones((1, 8)), known_spam=np.ones((2, 4)))


def test_empty_batch(scorer: SpamScorer) -> None:
    assert scorer.score_many([]) == []


def test_bad_model_file(tmp_path: Path) -> None:
    bad = tmp_path / "m.json.gz"
    with gzip.open(bad, "wt") as fh:
        json.dump({"format": "other"}, fh)
    with pytest.raises(ConfigurationError, match="spam model"):
        SpamScorer.load(bad)


ASHBY = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "postings" / "ashby"


@pytest.mark.skipif(not ASHBY.is_dir(), reason="real postings (../shared/data) not available")
def test_real_postings_are_not_spam(scorer: SpamScorer) -> None:
    items = []
    for f in sorted(ASHBY.glob("*.json.gz"))[:40]:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for job in json.load(fh)["jobs"]:
                items.append(item(job.get("descriptionPlain") or "", title=job["title"],
                                  company=f.name.removesuffix(".json.gz")))
    assert len(items) > 300
    assert [r for r in scorer.score_many(items) if r.is_spam] == []
