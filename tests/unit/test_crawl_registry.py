"""The registry's pure parts: cadences, target names, batches of boards per child run."""

from __future__ import annotations

import pytest

from hirehound.crawl import describe_target, parse_every
from hirehound.errors import SourceFormatError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800),
     (" 1H ", 3600), (600, 600)],
)
def test_parse_every(text: str | int, seconds: int) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1w", "1h and a bit", "0", "-5m"])
def test_parse_every_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(SourceFormatError, match="cadence"):
        parse_every(text)


@pytest.mark.parametrize(
    ("target", "kind", "name", "crawl_kind"),
    [
        ("ashby:cohere", None, "ashby:cohere", "ashby"),
        ("https://jobs.ashbyhq.com/cohere", None, "ashby:cohere", "ashby"),
        ("https://boards.greenhouse.io/stripe", None, "greenhouse:stripe", "greenhouse"),
        ("https://api.lever.co/v0/postings/netflix?mode=json", None,
         "https://api.lever.co/v0/postings/netflix?mode=json", "lever"),
        ("http://127.0.0.1:8000/posting-api/job-board/acme", None,
         "http://127.0.0.1:8000/posting-api/job-board/acme", "ashby"),
        ("https://careers.example.com/jobs/42", None, "https://careers.example.com/jobs/42",
         "jsonld"),
    ],
)
def test_describe_target(target: str, kind: str | None, name: str, crawl_kind: str) -> None:
    spec = describe_target(target, kind)
    assert (spec.name, spec.kind) == (name, crawl_kind)


@pytest.mark.parametrize(
    ("target", "kind", "message"),
    [
        ("/data/boards.json", None, "files are read by `hirehound ingest`"),
        ("ashby:cohere", "lever", "is a ashby board"),
        ("ashby:cohere", "monster", "unknown source kind"),
    ],
)
def test_describe_target_errors(target: str, kind: str | None, message: str) -> None:
    with pytest.raises(SourceFormatError, match=message):
        describe_target(target, kind)


def test_batches_spread_small_rounds_and_cap_big_ones() -> None:
    from flows.crawl import _batches

    assert _batches([], 25, 5) == []
    assert [len(b) for b in _batches(list(range(3)), 25, 5)] == [1, 1, 1]
    assert [len(b) for b in _batches(list(range(10)), 25, 5)] == [2, 2, 2, 2, 2]
    big = _batches(list(range(200)), 25, 5)
    assert len(big) == 8 and all(len(b) == 25 for b in big)
    assert sorted(i for b in big for i in b) == list(range(200))
