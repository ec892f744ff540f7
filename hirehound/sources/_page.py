"""Career pages without structured data: the posting found in the whole page (trafilatura).

A page's schema.org JobPosting JSON-LD still wins when it has one (the `jsonld` source reads
it). Otherwise trafilatura separates the page's main text from navigation, footers and
cookie banners, and its metadata gives the title (og:title, <title>, <h1>) and the site name.
A page with no title, too little text, or nothing that reads like a job offer is no posting:
it raises SourceFormatError with the reason, which dead-letters the target like any page the
other sources cannot read.

trafilatura (Apache-2.0) costs about half a second to import, so it is imported on the first
page, never with the rest of the sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources import _jsonld
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import stable_id, text

SOURCE = "page"
# Fewer words of main text than this is a teaser or a listing, not a posting.
MIN_WORDS = 80
# Words a job offer uses (English, German, French, Spanish, Dutch); at least two must occur.
_JOB_WORDS = re.compile(
    r"\b(apply|application|responsibilit\w*|requirements?|qualifications?|experience|"
    r"salary|benefits|full[- ]time|part[- ]time|what you.ll do|about the role|your role|"
    r"we are looking for|we.re looking for|you will|job description|"
    r"bewerb\w*|aufgaben|anforderungen|dein profil|ihr profil|stellenangebot|"
    r"candidat\w*|postuler|poste|profil recherch\w*|"
    r"requisitos|responsabilidades|solicitar|vacature|functie-eisen|solliciteer)\b",
    re.IGNORECASE,
)
_MIN_JOB_WORDS = 2
_TITLE_TAIL = re.compile(r"\s+[|\-–—·:]\s+[^|\-–—·:]{2,60}$")


def _h1(page: str) -> str | None:
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser(page).css_first("h1")
    return text(node.text(strip=True, separator=" ")) if node else None


def extract(page: str, origin: str = "") -> SourcePosting:
    """The posting in a page's main text; SourceFormatError saying why when there is none."""
    import trafilatura

    where = origin or "page"
    url = origin if origin.startswith(("http://", "https://")) else None
    doc = trafilatura.bare_extraction(
        page, url=url, with_metadata=True, include_comments=False, include_tables=True,
        favor_recall=True,
    )
    if doc is None:
        raise SourceFormatError(f"{where}: no job posting found in the page (no main text)")
    title = _h1(page) or _strip_site(text(getattr(doc, "title", None)),
                                     text(getattr(doc, "sitename", None)))
    body = text(getattr(doc, "text", None)) or ""
    words = len(body.split())
    if not title:
        raise SourceFormatError(f"{where}: no job posting found in the page (no title)")
    if words < MIN_WORDS:
        raise SourceFormatError(
            f"{where}: no job posting found in the page (only {words} words of main text, "
            f"at least {MIN_WORDS} needed)"
        )
    hits = {m.group(0).lower() for m in _JOB_WORDS.finditer(f"{title}\n{body}")}
    if len(hits) < _MIN_JOB_WORDS:
        raise SourceFormatError(
            f"{where}: no job posting found in the page (nothing reads like a job offer: "
            "no words such as apply, responsibilities, requirements)"
        )
    company = text(getattr(doc, "sitename", None))
    # Not `date`: htmldate guesses it from a footer's copyright year when a page has none.
    meta = {k: text(getattr(doc, k, None))
            for k in ("title", "sitename", "hostname", "description", "author")}
    return SourcePosting(
        source=SOURCE,
        source_id=stable_id(url or origin, title),
        url=url,
        title=title,
        company=company,
        description=body,
        payload={"url": url, "metadata": {k: v for k, v in meta.items() if v}, "words": words},
    )


def _strip_site(title: str | None, site: str | None) -> str | None:
    """"Data Engineer | Acme Careers" -> "Data Engineer" (the site's name is not the job's)."""
    if not title:
        return None
    stripped = _TITLE_TAIL.sub("", title)
    if site and stripped != title and site.lower().split()[0] in title.lower():
        return stripped
    return title


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """JSON-LD JobPostings when the page has them, else the one posting of the whole page."""
    if not isinstance(data, str):  # a JSON(-LD) document: only JSON-LD can be in it
        yield from _jsonld.parse(data, origin=origin)
        return
    try:
        found = list(_jsonld.parse(data, origin=origin))
    except SourceFormatError:  # no JobPosting block at all
        found = []
    if found:
        yield from found
        return
    yield extract(data, origin)


ADAPTER = register(SourceAdapter(kind=SOURCE, parse=parse, order=70, takes_text=True))
