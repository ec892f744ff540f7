"""Title, place and employer equivalence: what keeps the hard negatives apart."""

from __future__ import annotations

import pytest

from hirehound.dedup._attributes import company_key, location_keys, title_key


@pytest.mark.parametrize(
    ("a", "loc_a", "b", "loc_b"),
    [
        ("Sr. Backend Engineer", None, "Senior Backend Engineer", None),
        ("DevOps Engineer", "Remote", "DevOps Engineer (Remote)", "Remote"),
        ("project manager, marketing", None, "Project Manager, Marketing", None),
        (
            "SOFTWARE ENGINEER, GATEWAY - SHANGHAI",
            "China-Shanghai",
            "Software Engineer, Gateway",
            "China-Shanghai",
        ),
        # A location suffix naming the posting's own place.
        (
            "Regulatory Compliance Officer (Luxembourg) - Germany",
            "Germany, Berlin",
            "Regulatory Compliance Officer (Luxembourg)",
            "Germany, Berlin",
        ),
        ("Softwareentwickler (m/w/d)", None, "Softwareentwickler", None),
        ("Engineer II", None, "Engineer 2", None),
        ("Head of Sales – EMEA", None, "Head of Sales - EMEA", None),
    ],
)
def test_equivalent_titles(a: str, loc_a: str | None, b: str, loc_b: str | None) -> None:
    assert title_key(a, loc_a) == title_key(b, loc_b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Senior Backend Engineer", "Staff Backend Engineer"),  # level words differ
        ("Backend Engineer II", "Backend Engineer III"),
        ("Product Engineer", "Product Engineer, Senior"),
        ("AI Research Engineer", "AI Research Engineer, Lead"),
        ("AI Data Trainer, Hindi", "AI Data Trainer, French"),  # language
        (
            "Enterprise Account Executive, Europe (French speaking)",
            "Enterprise Account Executive, Europe (Spanish speaking)",
        ),
        ("Store Manager - Grocery (East)", "Store Manager - Scarborough Town Centre"),
        # Reordered words are another title of the employer (dev set: two real requisitions).
        ("Staff iOS Software Engineer", "Staff Software Engineer, iOS"),
    ],
)
def test_different_titles(a: str, b: str) -> None:
    assert title_key(a, "London") != title_key(b, "London")


def test_trailing_segment_kept_when_it_is_not_the_postings_place() -> None:
    assert title_key("Account Executive - Paris", "London") != title_key(
        "Account Executive", "London"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Remote - US", "Remote (United States)"),
        ("San Francisco, CA", "San Francisco, California"),
        ("San Francisco office", "San Francisco"),
        ("New York City", "NYC"),
        ("Remote U.S.", "Remote - USA"),
    ],
)
def test_same_place(a: str, b: str) -> None:
    assert location_keys(a) & location_keys(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Berlin", "Paris"),
        ("Remote - US", "Remote - Europe"),
        ("London", "Remote - UK"),
        ("Portland, OR", "Portland, ME"),
    ],
)
def test_other_place(a: str, b: str) -> None:
    assert not location_keys(a) & location_keys(b)


def test_parsed_city_meets_a_differently_spelled_raw_place() -> None:
    a = location_keys("New York, NY", city="New York", country="US")
    b = location_keys("Manhattan, New York", city="New York", country="US")
    assert a & b


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Iodine Software", "Iodine Software, Inc."),
        ("First Resonance", "FirstResonance"),
        ("Decagon", "Decagon Inc"),
        ("Multiverse", "Multiverse Limited"),
        ("WRITER", "Writer LLC"),
    ],
)
def test_company_spellings(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


def test_other_companies() -> None:
    assert company_key("Starbridge") != company_key("WRITER")
