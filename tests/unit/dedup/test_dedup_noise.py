"""Each noise class: a posting and its noisy copy are one job; another job with the same
boilerplate stays apart, noisy or not. Fingerprints as the pipeline computes them (clean text,
normalized title, parsed place)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hirehound.dedup import DEFAULT_CONFIG
from hirehound.dedup._judge import Fingerprint, fingerprint, judge
from hirehound.dedup.noise import NOISE, add_noise, respell_location
from hirehound.geo import parse_location
from hirehound.text import clean_description, fold_for_match, normalize_title

BOILERPLATE = (
    "<h3>About Café Lumière</h3><p>We’re a Zürich-born team building “calm” software for "
    "restaurants — 400 people in 12 countries. Our résumé-free hiring process is fair and "
    "fast.</p><h3>Benefits</h3><ul><li>Health insurance and a yearly learning budget</li>"
    "<li>Equity for everyone, 30 days of paid leave</li><li>Naïve questions welcome</li></ul>"
)
ROLE_A = (
    "<h3>The role</h3><p>As a Backend Engineer you will design the APIs our point-of-sale "
    "apps use, run PostgreSQL and Kubernetes services in three regions, and mentor two "
    "engineers. You’ll own features from design review to on-call.</p><ul><li>5+ years of "
    "Python or Go</li><li>Experience with event-driven systems</li></ul>"
)
ROLE_B = (
    "<h3>The role</h3><p>As a Product Designer you will research how waiters and cooks work, "
    "sketch flows in Figma, test prototypes in real kitchens and ship polished interfaces "
    "with our engineers.</p><ul><li>A portfolio of shipped products</li><li>Fluent "
    "English; French is a plus</li></ul>"
)


def posting(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "title": "Senior Backend Engineer", "company": "Café Lumière GmbH",
        "location": "Austin, TX", "url": "https://jobs.example.com/lumiere/1",
        "description_html": ROLE_A + BOILERPLATE, "description": None,
    }
    rec.update(over)
    return rec


def fp(rec: dict[str, Any], pid: int) -> Fingerprint:
    text = clean_description(rec.get("description_html"), rec.get("description")).text
    loc = parse_location(rec.get("location"))
    return fingerprint(
        pid, organization_id=None, company=rec["company"], title=normalize_title(rec["title"]),
        location_raw=rec.get("location"), city=loc.city, region=loc.region, country=loc.country,
        remote=loc.remote, url=rec.get("url"), text=text, config=DEFAULT_CONFIG,
    )


@pytest.mark.parametrize("kind", sorted(NOISE))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_copy_is_the_same_job(kind: str, seed: int) -> None:
    original = posting()
    copy = add_noise(original, kind, seed)
    assert copy != original
    copy["url"] = "https://aggregator.example.com/j/77?utm_source=feed"
    verdict = judge(fp(original, 1), fp(copy, 2), DEFAULT_CONFIG)
    assert verdict.kind in ("exact", "near"), (kind, copy, verdict)


@pytest.mark.parametrize("kind", sorted(NOISE))
def test_other_role_with_the_same_boilerplate_is_not(kind: str) -> None:
    role_a = posting()
    role_b = add_noise(
        posting(title="Product Designer", description_html=ROLE_B + BOILERPLATE), kind, 5
    )
    verdict = judge(fp(role_a, 1), fp(role_b, 2), DEFAULT_CONFIG)
    assert verdict.kind not in ("exact", "near", "semantic"), (kind, verdict)


def test_same_url_other_text_is_not_exact() -> None:
    legit = posting()
    scam = posting(description_html="<p>Pay a $50 registration fee, then cash the checks we "
                                    "send and wire the rest back via Western Union.</p>",
                   url=legit["url"] + "?utm_source=x")
    assert judge(fp(legit, 1), fp(scam, 2), DEFAULT_CONFIG).kind != "exact"
    same = dict(legit, url=legit["url"] + "?utm_source=x")
    v = judge(fp(legit, 1), fp(same, 2), DEFAULT_CONFIG)
    assert (v.kind, v.reason) == ("exact", "canonical_url")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Remote - US", "United States (Remote)", True),
        ("Remote (USA)", "US - Remote", True),
        ("Remote", "Remote - US", True),  # remote anywhere contains remote in the US
        ("Austin, TX", "Austin, Texas", True),
        ("Austin, TX", "Austin, Texas, United States", True),
        ("New York, NY", "NYC", True),
        ("San Francisco, CA", "San Francisco Bay Area", True),
        ("Berlin", "Berlin, Germany", True),
        ("München", "Munich, Germany", True),
        ("Remote - US", "Remote - Canada", False),
        ("U.S. (Remote)", "Remote (New Jersey)", False),
        ("Portland, OR", "Portland, Maine", False),
        ("San Francisco, CA", "Mountain View, CA", False),
    ],
)
def test_places_compared_as_places(a: str, b: str, same: bool) -> None:
    fa, fb = fp(posting(location=a), 1), fp(posting(location=b), 2)
    assert (judge(fa, fb, DEFAULT_CONFIG).kind in ("exact", "near")) is same


def test_title_place_suffix_contained_in_the_posting_place() -> None:
    a = fp(posting(title="Senior Backend Engineer (US)", location="Austin, TX"), 1)
    b = fp(posting(title="Senior Backend Engineer", location="Austin, TX, United States"), 2)
    assert a.title_key == b.title_key


def test_respelled_location_is_the_same_place() -> None:
    rng = random.Random(0)
    for place in ("Austin, TX", "Remote - US", "London, UK", "Toronto, ON", "New York, NY"):
        for _ in range(5):
            new = respell_location(place, rng)
            assert new and new != place
            a, b = fp(posting(location=place), 1), fp(posting(location=new), 2)
            assert judge(a, b, DEFAULT_CONFIG).kind in ("exact", "near"), (place, new)


@pytest.mark.parametrize(
    ("noisy", "clean"),
    [
        ("Ｓｅｎｉｏｒ　Ｅｎｇｉｎｅｅｒ", "senior engineer"),  # full-width
        ("Sеniоr Еngіnееr", "senior engineer"),  # Cyrillic look-alikes
        ("Se\u200bnior\u00a0Engi\u00adneer\ufeff", "senior engineer"),  # zero-width, nbsp
        ("Cafe\u0301 Zu\u0308rich", "cafe zurich"),  # decomposed accents
        ("Café Zürich", "cafe zurich"),  # precomposed accents
        ("We’re “calm” — really…", "we're \"calm\" - really..."),  # quotes, dash, ellipsis
        ("Weâ€™re in ZÃ¼rich", "we're in zurich"),  # mojibake
    ],
)
def test_fold_for_match(noisy: str, clean: str) -> None:
    assert fold_for_match(noisy) == clean
