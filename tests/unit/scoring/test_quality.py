from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hirehound.scoring import QualityInput, quality_score
from hirehound.scoring import _quality as q

FULL = QualityInput(
    title="Senior Backend Engineer",
    description_text="We build payment infrastructure. " * 40,
    company="Acme",
    date_posted=datetime(2025, 10, 1, tzinfo=UTC),
    valid_through=datetime(2025, 12, 1, tzinfo=UTC),
    employment_type="FULL_TIME",
    city="Berlin",
    region=None,
    country="DE",
    remote=False,
    salary_min=70000.0,
    salary_max=90000.0,
    salary_currency="EUR",
    url="https://jobs.example.com/1",
    skills_count=5,
)


def test_weights_sum_to_one() -> None:
    weights = [v for k, v in vars(q).items() if k.startswith("W_")]
    assert sum(weights) == pytest.approx(1.0)


def test_complete_posting_scores_one() -> None:
    result = quality_score(FULL)
    assert result.score == pytest.approx(1.0)
    assert result.missing == ()


@pytest.mark.parametrize(
    ("change", "missing", "lost"),
    [
        ({"title": None}, ("title",), q.W_TITLE),
        ({"company": "  "}, ("hiringOrganization",), q.W_ORGANIZATION),
        ({"date_posted": None}, ("datePosted",), q.W_DATE_POSTED),
        ({"city": None, "country": None}, ("jobLocation",), q.W_LOCATION),
        # remote without a country: half credit, Google wants applicantLocationRequirements
        ({"city": None, "country": None, "remote": True},
         ("applicantLocationRequirements",), q.W_LOCATION / 2),
        ({"salary_min": None, "salary_max": None}, ("baseSalary",), q.W_SALARY),
        ({"salary_currency": None}, ("baseSalary.currency",), q.W_SALARY / 2),
        ({"employment_type": None}, ("employmentType",), q.W_EMPLOYMENT_TYPE),
        ({"valid_through": None}, ("validThrough",), q.W_VALID_THROUGH),
        # an expiry before the posting date is not a validThrough
        ({"valid_through": datetime(2025, 9, 1)}, ("validThrough",), q.W_VALID_THROUGH),
        ({"url": None}, ("url",), q.W_URL),
        ({"skills_count": 0}, (), q.W_SKILLS),
    ],
)
def test_each_missing_field_costs_its_weight(
    change: dict[str, object], missing: tuple[str, ...], lost: float
) -> None:
    result = quality_score(replace(FULL, **change))  # type: ignore[arg-type]
    assert result.missing == missing
    assert result.score == pytest.approx(1.0 - lost, abs=1e-4)


def test_description_equal_to_title_is_no_description() -> None:
    result = quality_score(replace(FULL, description_text="Senior Backend Engineer"))
    assert "description" in result.missing
    assert result.score < 1.0 - q.W_DESCRIPTION - q.W_LENGTH + 1e-9


def test_required_fields_weigh_more_than_recommended() -> None:
    no_required = replace(FULL, title=None, company=None)
    no_recommended = replace(FULL, salary_min=None, salary_max=None, employment_type=None)
    assert quality_score(no_required).score < quality_score(no_recommended).score


def test_empty_posting() -> None:
    empty = QualityInput(None, None, None, None, None, None, None, None, None, None, None,
                         None, None, None)
    result = quality_score(empty)
    assert result.score == 0.0
    assert result.missing[:5] == ("title", "description", "datePosted", "hiringOrganization",
                                  "jobLocation")
