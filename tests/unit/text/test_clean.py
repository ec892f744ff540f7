"""clean_description: sanitized HTML, whole plain text, same text from HTML / Markdown / plain."""

from __future__ import annotations

import gzip
import json

import pytest

from hirehound.errors import CleaningError
from hirehound.text import clean_description
from tests.conftest import shared_data


@pytest.mark.parametrize(
    ("html", "text", "expected"),
    [
        # script and style go with their content; entities decoded; &nbsp; runs become one space
        (
            "<p>Hi<script>alert(1)</script> you &amp; me&nbsp;&nbsp;x</p><style>p{}</style>",
            None,
            "Hi you & me x",
        ),
        # lists kept as "- " lines, nested ones indented, ordered ones numbered from start=
        (
            "<ul><li>One</li><li>Two<ul><li>Sub</li></ul></li></ul><p>x</p>"
            '<ol start="3"><li>a</li><li>b</li></ol>',
            None,
            "- One\n- Two\n  - Sub\n\nx\n\n3. a\n4. b",
        ),
        # Ashby wraps list items in <p>: the bullet must stay with its text
        (
            "<p><strong>Who you are:</strong></p>"
            "<ul><li><p>Python</p></li><li><p>SQL</p></li></ul>",
            None,
            "Who you are:\n\n- Python\n- SQL",
        ),
        # headings and <br>: own lines; two <br> make a blank line
        ("<h2>Role</h2>tail<br>line2<br><br>para", None, "Role\n\ntail\nline2\n\npara"),
        # empty spacer paragraphs vanish
        ('<p style="min-height:1.5em"> </p><p>a</p><p></p><p>b</p>', None, "a\n\nb"),
        # "●" bullets typed as paragraphs become one tight list, as a real <ul> would
        ("<p>● one</p><p>● two</p>", None, "- one\n- two"),
        # tables: one line per row, cells joined
        (
            "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
            None,
            "a | b\nc | d",
        ),
        # broken HTML: unclosed tags are fine
        ("<div>Unclosed <b>bold <p>para", None, "Unclosed bold\n\npara"),
        # HTML-escaped HTML (Greenhouse `content`) is unescaped once
        (
            "&lt;p&gt;Hello&lt;/p&gt;&lt;ul&gt;&lt;li&gt;x&lt;/li&gt;&lt;/ul&gt;",
            None,
            "Hello\n\n- x",
        ),
        # mojibake (UTF-8 read as cp1252) repaired; real accents untouched
        (
            "<p>Weâ€™re hiring a cafÃ© barista â€“ Zürich</p>",
            None,
            "We’re hiring a café barista – Zürich",
        ),
        # NUL and control characters dropped
        ("<p>a\x00b\x07c\u200bd</p>", None, "abcd"),
        # Markdown: headings, bold, * bullets, \- escapes, entities
        (
            None,
            "# Title\n\n**Bold head**\n\n* item \\- one\n* item two\n\nA &amp; B",
            "Title\n\nBold head\n\n- item - one\n- item two\n\nA & B",
        ),
        # JobSpy's broken bold ("**Title****:**") leaves no stray asterisks
        (None, "**About****:**\n\nText", "About:\n\nText"),
        # plain text: paragraphs, single newlines kept as line breaks, "•" bullets as a list
        (
            None,
            "Line one\nline two\n\nPara two\n\n• a\n• b",
            "Line one\nline two\n\nPara two\n\n- a\n- b",
        ),
        # raw HTML in the Markdown field is escaped, never executed; HTML in the text field is HTML
        (None, "<p>Real <b>html</b></p><script>x()</script>", "Real html"),
        # html wins over text when both are given
        ("<p>from html</p>", "from text", "from html"),
    ],
)
def test_clean_text(html: str | None, text: str | None, expected: str) -> None:
    assert clean_description(html, text).text == expected


@pytest.mark.parametrize(
    "dirty",
    [
        '<a href="javascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        '<p onclick="steal()">x</p>',
        "<iframe src='https://evil'>inner</iframe>",
        "<svg><script>alert(1)</script></svg>",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_html_is_safe(dirty: str) -> None:
    out = clean_description(dirty + "<p>ok</p>", None).html
    for bad in ("javascript:", "onerror", "onclick", "<script", "<iframe", "data:", "<img"):
        assert bad not in out


def test_links_kept_with_rel() -> None:
    out = clean_description('<p><a href="https://x.com/a?b=1&c=2">x</a></p>', None).html
    assert 'href="https://x.com/a?b=1&amp;c=2"' in out
    assert 'rel="nofollow noopener noreferrer"' in out


def test_markdown_html_and_plain_agree() -> None:
    html = (
        "<h2>About</h2><p>We build <strong>things</strong>.</p><ul><li>Python</li><li>SQL</li></ul>"
    )
    md = "## About\n\nWe build **things**.\n\n- Python\n- SQL\n"
    plain = "About\n\nWe build things.\n\n - Python\n\n - SQL\n"  # Ashby descriptionPlain style
    texts = {
        clean_description(html, None).text,
        clean_description(None, md).text,
        clean_description(None, plain).text,
    }
    assert texts == {"About\n\nWe build things.\n\n- Python\n- SQL"}


def test_huge_input_truncated_at_boundary() -> None:
    # 250k chars of HTML with max_chars=1000: raw is capped before parsing, text cut at a word.
    r = clean_description("<p>" + "word " * 50_000 + "</p>", None, max_chars=1000)
    assert r.truncated
    assert len(r.text) <= 1000 and r.text.endswith("word")
    assert r.html.startswith("<p>") and r.html.endswith("</p>") and len(r.html) < 1100


def test_truncation_prefers_block_boundary() -> None:
    html = "".join(f"<p>Paragraph number {i} with some words.</p>" for i in range(100))
    r = clean_description(html, None, max_chars=500)
    assert r.truncated and r.text.endswith("words.")
    assert not clean_description(html, None).truncated


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (None, None),
        ("", "  "),
        ("<script>only()</script>", None),
        ("<p> &nbsp; </p>", None),
        ("<img src=x>", None),
    ],
)
def test_nothing_readable_raises(html: str | None, text: str | None) -> None:
    with pytest.raises(CleaningError, match="empty description"):
        clean_description(html, text)


def test_real_ashby_postings_keep_lists_and_headings() -> None:
    path = shared_data("postings", "ashby", "Abound.json.gz")
    with gzip.open(path) as f:
        jobs = json.load(f)["jobs"]
    for job in jobs:
        html = job["descriptionHtml"]
        r = clean_description(html, None)
        lines = r.text.splitlines()
        assert sum(1 for x in lines if x.lstrip().startswith(("- ", "1. "))) or "<li" not in html
        # the plain copy Ashby serves gives (nearly) the same text
        plain = clean_description(None, job["descriptionPlain"]).text
        assert abs(len(plain) - len(r.text)) < 0.2 * len(r.text)
