"""The SmartRecruiters source: the merged list+detail payload, paging, detail merging."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hirehound.errors import SourceFormatError, SourceUnavailable
from hirehound.records import BadRecord, SourcePosting
from hirehound.settings import Settings
from hirehound.sources import board_url, detect_kind, parse_payload
from hirehound.sources._adapter import Getter
from hirehound.sources._smartrecruiters import complete

from .conftest import FIXTURES

BOARD = FIXTURES / "smartrecruiters" / "NorthwindTraders.json"
API = "https://api.smartrecruiters.com/v1/companies/NorthwindTraders/postings?limit=100"


def test_postings_map_with_their_sections() -> None:
    items = list(parse_payload("smartrecruiters", BOARD.read_bytes(), origin=API))
    assert all(isinstance(i, SourcePosting) for i in items) and len(items) == 3
    first, store, remote = items  # type: ignore[misc]
    assert (first.title, first.company, first.location) == (
        "Supply Chain Analyst", "Northwind Traders", "Hamburg, HH, Germany")
    assert first.url == "https://jobs.smartrecruiters.com/NorthwindTraders/744000012345671-supply-chain-analyst"
    assert first.employment_type == "Full-time" and first.date_posted.startswith("2025-09-18")
    html = first.description_html or ""
    assert html.index("Job Description") < html.index("Qualifications") < html.index("EUR 60,000")
    assert store.location == "Lyon, France"  # empty region dropped from fullLocation
    assert remote.remote is True and store.remote is None


def test_detection_and_board_urls() -> None:
    assert detect_kind("smartrecruiters:NorthwindTraders") == "smartrecruiters"
    assert detect_kind(str(BOARD)) == "smartrecruiters"
    assert detect_kind("https://jobs.smartrecruiters.com/NorthwindTraders") == "smartrecruiters"
    assert board_url("smartrecruiters", "NorthwindTraders") == API


def test_bad_postings_and_payloads() -> None:
    doc = {"totalFound": 2, "content": [{"id": "1"}, "x"]}
    items = list(parse_payload("smartrecruiters", json.dumps(doc)))
    assert [i.error for i in items if isinstance(i, BadRecord)] == [
        "missing_title", "not_an_object"]
    with pytest.raises(SourceFormatError, match="no 'content' list"):
        list(parse_payload("smartrecruiters", '{"jobs": []}'))


class _Api:
    """The API's answers by URL; a URL it does not know raises like a 404."""

    def __init__(self, doc: dict[str, Any], page: int, gone: set[str] = frozenset()) -> None:
        self.doc, self.page, self.gone, self.asked = doc, page, gone, []  # type: ignore[assignment]

    def first(self) -> bytes:
        return self._list(0)

    def _list(self, offset: int) -> bytes:
        content = self.doc["content"][offset:offset + self.page]
        summaries = [{k: v for k, v in p.items() if k != "jobAd"} for p in content]
        return json.dumps({"offset": offset, "limit": self.page,
                           "totalFound": len(self.doc["content"]), "content": summaries}).encode()

    def get(self, url: str) -> bytes:
        self.asked.append(url)
        if "offset=" in url:
            return self._list(int(url.split("offset=")[1].split("&")[0]))
        pid = url.rsplit("/", 1)[1]
        if pid in self.gone:
            raise SourceFormatError(f"{url}: HTTP 404 Not Found")
        if pid == "boom":
            raise SourceUnavailable(f"{url}: HTTP 503")
        return json.dumps(next(p for p in self.doc["content"] if p["id"] == pid)).encode()


def _complete(api: _Api, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    getter = Getter(Settings(), previous=(lambda: previous) if previous is not None else None)
    object.__setattr__(getter, "get", api.get)  # the same calls, answered in memory
    return json.loads(complete(api.first(), API, getter))


def test_complete_pages_and_merges_details() -> None:
    api = _Api(json.loads(BOARD.read_text()), page=2, gone={"744000012345672"})
    doc = _complete(api)
    assert [p["id"] for p in doc["content"]] == [
        "744000012345671", "744000012345672", "744000012345673"]
    assert sum("offset=2" in u for u in api.asked) == 1
    with_ad = ["jobAd" in p for p in doc["content"]]
    assert with_ad == [True, False, True]  # a posting closed meanwhile keeps its list entry
    assert api.asked[-1].endswith("/postings/744000012345673")  # no query on details


def test_a_detail_that_fails_for_now_fails_the_board() -> None:
    doc = json.loads(BOARD.read_text())
    doc["content"][1]["id"] = "boom"
    with pytest.raises(SourceUnavailable):
        _complete(_Api(doc, page=100))


def test_unchanged_postings_keep_their_stored_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    from hirehound.sources import _smartrecruiters as sr

    monkeypatch.setattr(sr, "refresh_due", lambda _id, now=None: False)
    doc = json.loads(BOARD.read_text())
    stored = {p["id"]: p for p in _complete(_Api(doc, page=100))["content"]}
    doc["content"][0]["name"] = "Senior Supply Chain Analyst"  # a list field changed
    api = _Api(doc, page=100)
    again = _complete(api, previous=stored)
    details = [u for u in api.asked if "/postings/" in u]
    assert details == [API.split("?")[0] + "/744000012345671"]
    assert again["content"][0]["name"] == "Senior Supply Chain Analyst"
    assert all("jobAd" in p for p in again["content"])


def test_refresh_slots_spread_over_the_day() -> None:
    from datetime import UTC, datetime

    from hirehound.sources._smartrecruiters import refresh_due

    hours = [sum(refresh_due(str(i), datetime(2025, 1, 1, h, tzinfo=UTC)) for h in range(24))
             for i in range(200)]
    assert set(hours) == {1}  # every posting once a day
