"""Titles, employment types, dates and salaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hirehound.errors import CleaningError
from hirehound.text import (
    Salary,
    normalize_employment_type,
    normalize_title,
    parse_date,
    parse_salary,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Senior  Engineer &amp; Lead ", "Senior Engineer & Lead"),
        ("R&amp;amp;D Lead", "R&D Lead"),  # escaped twice
        ("- Data Scientist |", "Data Scientist"),  # stray separators
        ("**Staff Engineer**", "Staff Engineer"),  # Markdown bold
        ("## Staff Engineer", "Staff Engineer"),  # Markdown heading
        ("Software Engineer (Remote)", "Software Engineer (Remote)"),  # balanced parens stay
        ("Engineer, C++", "Engineer, C++"),  # trailing + is part of the title
        (".NET Developer", ".NET Developer"),  # leading dot too
        ("&lt;b&gt;Dev&lt;/b&gt;", "Dev"),  # tags in titles
        ("Engineer (", "Engineer"),  # cut title
        ("Weâ€™re Hiring", "We’re Hiring"),  # mojibake
    ],
)
def test_normalize_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", " - | "])
def test_missing_title(raw: str | None) -> None:
    with pytest.raises(CleaningError, match="missing title"):
        normalize_title(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FullTime", "full_time"),  # Ashby
        ("Full-time", "full_time"),
        ("fulltime", "full_time"),  # JobSpy
        ("FULL_TIME", "full_time"),  # schema.org
        ("Full Time", "full_time"),
        ("PartTime", "part_time"),
        ("Intern", "internship"),
        ("Contractor", "contract"),
        ("CONTRACT_TO_HIRE", "contract"),
        ("Temporary", "temporary"),
        ("Per Diem", "per_diem"),
        ("Volunteer", "volunteer"),
        (["FULL_TIME", "CONTRACTOR"], "full_time"),  # lists: first recognised
        ("Full-time, Permanent", "full_time"),
        ("Full Time Intern", "internship"),  # the more specific kind wins
        ("Hourly", "other"),  # non-empty but unknown
        ("", None),
        (None, None),
    ],
)
def test_employment_type(raw: object, expected: str | None) -> None:
    assert normalize_employment_type(raw) == expected  # type: ignore[arg-type]


NOW = datetime(2025, 10, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-10-15T14:56:50.646+00:00", datetime(2025, 10, 15, 14, 56, 50, 646000, tzinfo=UTC)),
        ("2025-10-15T16:56:50+02:00", datetime(2025, 10, 15, 14, 56, 50, tzinfo=UTC)),
        ("2025-10-15T14:56:50Z", datetime(2025, 10, 15, 14, 56, 50, tzinfo=UTC)),
        ("2025-10-15", datetime(2025, 10, 15, tzinfo=UTC)),
        ("2026-06-12T00:00:00.000", datetime(2026, 6, 12, tzinfo=UTC)),  # naive = UTC
        ("2025-10-15T14:56:50.1234567Z", datetime(2025, 10, 15, 14, 56, 50, 123456, tzinfo=UTC)),
        (1760540210646, datetime(2025, 10, 15, 14, 56, 50, 646000, tzinfo=UTC)),  # Lever ms
        ("1760540210", datetime(2025, 10, 15, 14, 56, 50, tzinfo=UTC)),
        ("Oct 15, 2025", datetime(2025, 10, 15, tzinfo=UTC)),
        ("October 15th, 2025", datetime(2025, 10, 15, tzinfo=UTC)),
        ("15 Oct 2025", datetime(2025, 10, 15, tzinfo=UTC)),
        ("15/10/2025", datetime(2025, 10, 15, tzinfo=UTC)),  # only one reading possible
        ("10/15/2025", datetime(2025, 10, 15, tzinfo=UTC)),
        ("15.10.2025", datetime(2025, 10, 15, tzinfo=UTC)),  # dots: day first
        ("03/04/2025", None),  # March or April? refuse to guess
        ("Wed, 15 Oct 2025 14:56:50 GMT", datetime(2025, 10, 15, 14, 56, 50, tzinfo=UTC)),
        ("3 days ago", datetime(2025, 10, 17, 12, tzinfo=UTC)),
        ("30+ days ago", datetime(2025, 9, 20, 12, tzinfo=UTC)),
        ("Posted 2 weeks ago", datetime(2025, 10, 6, 12, tzinfo=UTC)),
        ("an hour ago", datetime(2025, 10, 20, 11, tzinfo=UTC)),
        ("today", NOW),
        ("yesterday", datetime(2025, 10, 19, 12, tzinfo=UTC)),
        ("garbage", None),
        ("0", None),
        ("1900-01-01", None),  # outside the plausible window
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw: object, expected: datetime | None) -> None:
    assert parse_date(raw, now=NOW) == expected  # type: ignore[arg-type]


def test_parse_date_dayfirst_resolves_ambiguity() -> None:
    assert parse_date("03/04/2025", dayfirst=True) == datetime(2025, 4, 3, tzinfo=UTC)
    assert parse_date("03/04/2025", dayfirst=False) == datetime(2025, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$150K – $200K • Offers Equity", Salary(150000, 200000, "USD", "year")),
        ("€60,000 - €75,000 per year", Salary(60000, 75000, "EUR", "year")),
        ("USD 100000-120000 YEAR", Salary(100000, 120000, "USD", "year")),
        ("$25/hr", Salary(25, 25, "USD", "hour")),
        ("120k-150k GBP", Salary(120000, 150000, "GBP", "year")),
        ("£45k", Salary(45000, 45000, "GBP", "year")),
        ("CA$200K – CA$475K • Offers Equity", Salary(200000, 475000, "CAD", "year")),
        ("$55.00 – $62.50 per hour", Salary(55, 62.5, "USD", "hour")),
        ("€2.5K – €4K per month", Salary(2500, 4000, "EUR", "month")),
        ("$109.4K – $161K", Salary(109400, 161000, "USD", "year")),
        # the first range is the base; the bonus and the equity percentages are not
        ("Base Salary $45K – $50K • $22.5K – $25K Bonus", Salary(45000, 50000, "USD", "year")),
        ("$120K – $180K • 0.25% – 0.5%", Salary(120000, 180000, "USD", "year")),
        ("$120 - 150K", Salary(120000, 150000, "USD", "year")),  # K written once
        ("Up to $100k", Salary(None, 100000, "USD", "year")),
        ("From £30,000", Salary(30000, None, "GBP", "year")),
        ("100.000 - 120.000 EUR brutto/Jahr", Salary(100000, 120000, "EUR", "year")),
        ("CHF 120'000 p.a.", Salary(120000, 120000, "CHF", "year")),
        ("₪25,000-30,000 per month", Salary(25000, 30000, "ILS", "month")),
        # not salaries
        ("5+ years of experience", None),
        ("401k match", None),
        ("10m users", None),
        ("We have 4 weeks PTO", None),
        ("2024 - 2025", None),
        ("0.25% – 0.5%", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_salary(raw: str | None, expected: Salary | None) -> None:
    assert parse_salary(raw) == expected
