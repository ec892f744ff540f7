"""Kind detection from shorthands, URLs, file names and content; board URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirehound.errors import SourceFormatError
from hirehound.sources import board_url, detect_kind

from .conftest import FIXTURES


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("ashby/finni-health.json", "ashby"),
        ("ashby/Iodine%20Software.json.gz", "ashby"),  # gzip: sniffed after decompressing
        ("ashby", "ashby"),  # a directory of one kind
        ("greenhouse/vaulttec.json", "greenhouse"),
        ("lever/leverdemo.json", "lever"),
        ("jsonld/example-careers.html", "jsonld"),
        ("jobspy/jobspy_sample.json", "jobspy"),
        ("jobspy/jobspy_sample.csv", "jobspy"),
        ("generic/generic_sample.jsonl", "generic"),
        ("generic/generic_sample.csv.gz", "generic"),
    ],
)
def test_detect_files(target: str, kind: str) -> None:
    assert detect_kind(str(FIXTURES / target)) == kind


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("ashby:cohere", "ashby"),
        ("greenhouse:vaulttec", "greenhouse"),
        ("lever:leverdemo", "lever"),
        ("https://api.ashbyhq.com/posting-api/job-board/cohere?includeCompensation=true", "ashby"),
        ("https://jobs.ashbyhq.com/cohere", "ashby"),
        ("https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true", "greenhouse"),
        ("https://job-boards.greenhouse.io/stripe", "greenhouse"),
        ("https://api.eu.lever.co/v0/postings/acme?mode=json", "lever"),
        ("http://127.0.0.1:8000/v0/postings/acme?mode=json", "lever"),  # path says it
        ("https://careers.example.org/jobs/42.html", "jsonld"),
    ],
)
def test_detect_targets(target: str, kind: str) -> None:
    assert detect_kind(target) == kind


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b'{"apiVersion": "1", "jobs": []}', "ashby"),
        (b'{"jobs": [], "meta": {"total": 0}}', "greenhouse"),  # an empty Greenhouse board
        (b'[{"id": "x", "text": "T", "categories": {}}]', "lever"),
        (b"<!DOCTYPE html><html><head>", "jsonld"),
        (b'{"@context": "https://schema.org", "@type": "JobPosting"}', "jsonld"),
        (b'\xef\xbb\xbf{"source": "a", "source_id": "1", "title": "T"}\n', "generic"),  # BOM
        (b"site,job_url,title\nindeed,https://x,T\n", "jobspy"),
        (b"source\tsource_id\ttitle\n", "generic"),  # tab-separated
        # A generic record whose description quotes a JobSpy key is still generic.
        (b'{"source": "a", "source_id": "1", "description": "\\"job_url\\": x"}', "generic"),
    ],
)
def test_detect_from_content(head: bytes, kind: str) -> None:
    assert detect_kind("https://example.com/feed", head=head) == kind


def test_undetectable_says_what_to_do(tmp_path: Path) -> None:
    f = tmp_path / "notes.json"
    f.write_text('{"hello": "world"}')
    with pytest.raises(SourceFormatError, match=r"notes.json: cannot tell the source kind.*ashby"):
        detect_kind(str(f))
    with pytest.raises(SourceFormatError, match="no such file"):
        detect_kind(str(tmp_path / "missing.json"))
    with pytest.raises(SourceFormatError, match="cannot tell the source kind from the URL"):
        detect_kind("https://example.com/feed")


def test_mixed_directory_is_refused() -> None:
    with pytest.raises(SourceFormatError, match="directory holds"):
        detect_kind(str(FIXTURES / "jobspy") + "/..")


def test_board_urls() -> None:
    assert board_url("ashby", "cohere") == (
        "https://api.ashbyhq.com/posting-api/job-board/cohere?includeCompensation=true"
    )
    assert board_url("ashby", "Iodine Software").endswith(
        "/job-board/Iodine%20Software?includeCompensation=true"
    )
    assert board_url("ashby", "Iodine%20Software") == board_url("ashby", "Iodine Software")
    assert board_url("greenhouse", "stripe") == (
        "https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true"
    )
    assert board_url("lever", "acme", base_url="http://127.0.0.1:9/") == (
        "http://127.0.0.1:9/v0/postings/acme?mode=json"
    )
    with pytest.raises(SourceFormatError, match="no board API"):
        board_url("jsonld", "x")  # type: ignore[arg-type]
