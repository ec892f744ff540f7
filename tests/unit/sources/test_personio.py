"""The Personio source: the XML feed's positions, sections and refusals."""

from __future__ import annotations

import pytest

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources import board_url, detect_kind, parse_payload
from hirehound.sources._detect import fetch_target

from .conftest import FIXTURES

FEED = FIXTURES / "personio" / "contoso.xml"
API = "https://contoso.jobs.personio.de/xml"


def test_positions_map_with_sections_and_offices() -> None:
    good, student, untitled = parse_payload("personio", FEED.read_bytes(), origin=API)
    assert isinstance(good, SourcePosting) and isinstance(student, SourcePosting)
    assert (good.source_id, good.url) == ("1843207", "https://contoso.jobs.personio.de/job/1843207")
    assert good.company == "Contoso Software GmbH"  # the subcompany, when the feed names one
    assert student.company == "Contoso"  # else the account's name
    assert good.location == "Berlin; Munich" and student.remote is True
    assert good.employment_type == "permanent, Full-time"
    html = good.description_html or ""
    assert html.startswith("<h3>Your mission</h3>") and "Your profile" in html
    assert isinstance(untitled, BadRecord) and untitled.error == "missing_title"
    assert good.payload["additionalOffices"] == ["Munich"]


def test_detection_and_board_urls() -> None:
    assert detect_kind(str(FEED)) == "personio"
    assert detect_kind(API) == "personio"
    assert board_url("personio", "contoso") == API
    assert fetch_target("personio:contoso") == ("personio", API)
    assert fetch_target("https://contoso.jobs.personio.de/") == ("personio", API)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("<workzag-jobs><position>", "not valid XML"),
        ("<rss><channel/></rss>", "not a Personio XML feed"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><workzag-jobs/>', "DOCTYPE is refused"),
    ],
)
def test_unreadable_feeds_raise(payload: str, message: str) -> None:
    with pytest.raises(SourceFormatError, match=message):
        list(parse_payload("personio", payload, origin=API))


def test_an_empty_feed_is_an_empty_board() -> None:
    assert list(parse_payload("personio", "<workzag-jobs></workzag-jobs>", origin=API)) == []
