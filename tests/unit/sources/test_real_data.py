"""The whole real dev data reads without a bad record (skips when ../shared/data is absent)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from hirehound.records import SourcePosting
from hirehound.settings import Settings
from hirehound.sources import read_postings
from tests.conftest import shared_data


def test_all_ashby_boards(settings: Settings) -> None:
    folder = shared_data("postings", "ashby")
    items = list(read_postings(str(folder), settings=settings))
    assert len(items) == 4429
    assert all(isinstance(p, SourcePosting) for p in items)
    keys = Counter((p.source, p.source_id) for p in items)  # type: ignore[union-attr]
    assert max(keys.values()) == 1
    assert all(p.company and p.title and p.url and p.description_html for p in items)  # type: ignore[union-attr]


def test_ashby_company_names_match_the_dev_set(settings: Settings) -> None:
    """The dev set spelled employers from board names; we agree on nearly all boards."""
    folder = shared_data("postings", "ashby")
    expected = {}
    with gzip.open(shared_data("dedup", "postings.jsonl.gz"), "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["source"] == "ashby":
                expected[rec["source_id"]] = rec["company"]
    got = {
        p.source_id: p.company
        for p in read_postings(str(folder), settings=settings)
        if isinstance(p, SourcePosting) and p.source_id in expected
    }
    # Same-board reposts in the dev set carry new ids that no board file has.
    assert len(got) > 1400
    agree = sum(expected[k] == v for k, v in got.items())
    # 3 of 211 boards differ (VOIZE/Voize, PRAXIPAL/Praxipal, PlayPower Labs/Playpowerlabs).
    assert agree / len(got) > 0.97


def test_jobspy_and_generic_dev_data(settings: Settings) -> None:
    jobspy = list(read_postings(str(shared_data("postings", "jobspy_israel")), settings=settings))
    assert len(jobspy) == 1065 and all(isinstance(p, SourcePosting) for p in jobspy)
    generic = list(read_postings(str(shared_data("dedup", "postings.jsonl.gz")), settings=settings))
    assert len(generic) == 2360 and all(isinstance(p, SourcePosting) for p in generic)
    sources = Counter(p.source for p in generic)  # type: ignore[union-attr]
    assert sources["ashby"] > 1500 and "jobboard-c" in sources
