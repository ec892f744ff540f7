"""Quality score: completeness against Google's JobPosting structured data.

Google Search Central (JobPosting) lists as required: title, description, datePosted,
hiringOrganization, jobLocation (a fully remote job may instead give applicantLocationRequirements
with jobLocationType TELECOMMUTE); as recommended: baseSalary, employmentType, validThrough
(required when the job expires), identifier, directApply, applicantLocationRequirements.
Weights below sum to 1: required fields 0.60, recommended 0.25, description substance 0.15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# Required by Google: without one of these a posting is not eligible at all, so each weighs most.
W_TITLE = 0.12
W_DESCRIPTION = 0.12
W_DATE_POSTED = 0.12
W_ORGANIZATION = 0.12
W_LOCATION = 0.12  # half when remote without a country (applicantLocationRequirements missing)
# Recommended: what job seekers filter on; salary first (the most asked-for field).
W_SALARY = 0.10  # half when amounts come without a currency
W_EMPLOYMENT_TYPE = 0.06
W_VALID_THROUGH = 0.05
W_URL = 0.04  # identifier / the page to apply on (directApply is not known at this step)
# Substance: Google rejects incomplete descriptions; length and recognised skills stand in.
W_LENGTH = 0.09  # full at >= 1,000 characters, nothing under 200
W_SKILLS = 0.06  # full at >= 3 skills found

MIN_DESCRIPTION = 50  # characters; shorter (or the title repeated) counts as no description
LENGTH_FLOOR, LENGTH_FULL = 200, 1000
SKILLS_FULL = 3


@dataclass(frozen=True, slots=True)
class QualityInput:
    """The normalized fields of one posting that quality looks at."""

    title: str | None
    description_text: str | None
    company: str | None
    date_posted: datetime | None
    valid_through: datetime | None
    employment_type: str | None
    city: str | None
    region: str | None
    country: str | None
    remote: bool | None
    salary_min: float | None
    salary_max: float | None
    salary_currency: str | None
    url: str | None
    skills_count: int = 0


@dataclass(frozen=True, slots=True)
class QualityResult:
    """Score in [0, 1] and the JobPosting properties that were missing or partial."""

    score: float
    missing: tuple[str, ...]


def _has(value: str | None) -> bool:
    return bool(value and value.strip())


def quality_score(p: QualityInput) -> QualityResult:
    """Weighted completeness of one posting (weights documented at module level)."""
    score = 0.0
    missing: list[str] = []

    def field(ok: bool, weight: float, name: str) -> None:
        nonlocal score
        if ok:
            score += weight
        else:
            missing.append(name)

    title = (p.title or "").strip()
    text = (p.description_text or "").strip()
    field(bool(title), W_TITLE, "title")
    field(len(text) >= MIN_DESCRIPTION and text.lower() != title.lower(), W_DESCRIPTION,
          "description")
    field(p.date_posted is not None, W_DATE_POSTED, "datePosted")
    field(_has(p.company), W_ORGANIZATION, "hiringOrganization")

    if _has(p.city) or _has(p.region) or _has(p.country):
        score += W_LOCATION
    elif p.remote:
        score += W_LOCATION / 2
        missing.append("applicantLocationRequirements")
    else:
        missing.append("jobLocation")

    if p.salary_min is not None or p.salary_max is not None:
        if _has(p.salary_currency):
            score += W_SALARY
        else:
            score += W_SALARY / 2
            missing.append("baseSalary.currency")
    else:
        missing.append("baseSalary")
    field(_has(p.employment_type), W_EMPLOYMENT_TYPE, "employmentType")
    valid = p.valid_through is not None and (
        p.date_posted is None or _comparable(p.valid_through) >= _comparable(p.date_posted)
    )
    field(valid, W_VALID_THROUGH, "validThrough")
    field(_has(p.url), W_URL, "url")

    n = len(text)
    if n >= LENGTH_FULL:
        score += W_LENGTH
    elif n > LENGTH_FLOOR:
        score += W_LENGTH * (n - LENGTH_FLOOR) / (LENGTH_FULL - LENGTH_FLOOR)
    score += W_SKILLS * min(max(p.skills_count, 0), SKILLS_FULL) / SKILLS_FULL
    return QualityResult(round(min(score, 1.0), 4), tuple(missing))


def _comparable(d: datetime) -> float:
    """Compare naive and aware datetimes without raising (naive taken as UTC)."""
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()
