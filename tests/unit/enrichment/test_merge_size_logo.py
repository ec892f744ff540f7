from __future__ import annotations

import pytest

from hirehound.enrichment import (
    bucket_of,
    bucket_of_label,
    estimate_bucket,
    looks_like_image,
    merge_results,
    parse_homepage,
)
from hirehound.enrichment._dedup import blocking_keys


def test_merge_precedence_and_conflicts() -> None:
    merged = merge_results(
        [
            {"source": "reference", "fields": {"description": "old", "hq_city": "Paris"}},
            {"source": "website", "fields": {"description": "ours", "hq_city": "Lyon"}},
            {
                "source": "clearbit",
                "fields": {"description": "theirs", "hq_city": "Lyon", "employee_count": 120},
            },
            {"source": "crunchbase", "fields": {"employee_count": 150}},  # same bucket: agrees
            None,  # a skipped source
        ]
    )
    assert merged.values["description"] == "ours"  # website first for descriptions
    assert (
        merged.values["hq_city"] == "Lyon" and merged.provenance["hq_city"]["source"] == "clearbit"
    )
    assert [c["source"] for c in merged.conflicts["hq_city"]] == ["clearbit", "reference"]
    assert "employee_count" not in merged.conflicts
    assert merged.sources_used == ["clearbit", "crunchbase", "reference", "website"]


@pytest.mark.parametrize(
    ("count", "bucket"),
    [(1, "1-50"), (50, "1-50"), (51, "51-200"), (1000, "501-1000"), (10001, "10000+"), (0, None)],
)
def test_bucket_of(count: int, bucket: str | None) -> None:
    assert bucket_of(count) == bucket


def test_bucket_of_glassdoor_labels() -> None:
    assert bucket_of_label("51 to 200 employees") == "51-200"
    assert bucket_of_label("10000+ employees") == "10000+"
    assert bucket_of_label("Unknown") is None


def test_estimate_prefers_stated_counts() -> None:
    assert (
        estimate_bucket(texts=["We are a team of over 12,000 employees worldwide."])[0] == "10000+"
    )
    assert estimate_bucket(texts=["A seed-stage startup."])[0] == "51-200"
    assert estimate_bucket(public=True)[0] == "1001-5000"


def test_logo_bytes_not_headers() -> None:
    assert looks_like_image("image/png", b"\x89PNG\r\n\x1a\n....")
    assert looks_like_image("text/plain", b"<?xml version='1.0'?><svg></svg>")
    assert not looks_like_image("image/png", b"<html>not an image</html>")
    assert not looks_like_image("image/webp", b"RIFF....WAVE")


def test_homepage_without_jsonld_uses_meta() -> None:
    html = '<html><head><meta name="description" content="Hi"><title>T</title></head></html>'
    f = parse_homepage(html, "https://a.example/")
    assert f["description"] == "Hi" and f["icon_urls"] == ["https://a.example/favicon.ico"]


def test_blocking_keys_skip_generic_words() -> None:
    assert blocking_keys("acme global technologies") == ["acme", "~acme"]
