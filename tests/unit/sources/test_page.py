"""The career-page source: JSON-LD wins, else the posting in the whole page, else a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirehound.errors import SourceFormatError
from hirehound.records import SourcePosting
from hirehound.settings import Settings
from hirehound.sources import parse_payload, read_postings

from .conftest import FIXTURES

URL = "https://fabrikam.example/careers/product-designer"


def test_a_page_without_jsonld_gives_its_posting() -> None:
    page = (FIXTURES / "page" / "product-designer.html").read_text()
    [p] = parse_payload("page", page, origin=URL)
    assert isinstance(p, SourcePosting) and p.source == "page"
    assert (p.title, p.company, p.url) == ("Product Designer (Mobile)", "Fabrikam", URL)
    text = p.description or ""
    assert "usability tests" in text and "Requirements" in text
    assert "cookies" not in text and "Imprint" not in text  # navigation and banners left out
    again = next(iter(parse_payload("page", page, origin=URL)))
    assert again.source_id == p.source_id  # stable across reads: the crawl can follow it


def test_jsonld_wins_where_present() -> None:
    page = (FIXTURES / "jsonld" / "example-careers.html").read_text()
    items = list(parse_payload("page", page, origin=URL))
    assert items and {i.source for i in items} == {"jsonld"}


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ((FIXTURES / "page" / "about-us.html").read_text(), "nothing reads like a job offer"),
        ("<html><head><title>Jobs</title></head><body><h1>Jobs</h1><p>Apply now.</p></body>"
         "</html>", "words of main text"),
        ("<html><body></body></html>", "no job posting found"),
    ],
)
def test_pages_without_a_posting_say_why(page: str, reason: str) -> None:
    with pytest.raises(SourceFormatError, match=reason) as info:
        list(parse_payload("page", page, origin=URL))
    assert URL in str(info.value)


def test_read_from_a_file_with_the_kind_given(tmp_path: Path) -> None:
    f = tmp_path / "designer.html"
    f.write_bytes((FIXTURES / "page" / "product-designer.html").read_bytes())
    [p] = read_postings(str(f), kind="page", settings=Settings(home=tmp_path / "home"))
    assert isinstance(p, SourcePosting) and p.url is None and p.title
