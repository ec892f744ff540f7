"""Personio XML feed: `https://<company>.jobs.personio.de/xml`, `<workzag-jobs><position>...`.

One document holds every published position with its description sections
(`<jobDescriptions><jobDescription><name>` heading + `<value>` HTML). The feed names no
employer beyond an optional `<subcompany>`; the company comes from the feed's host name (or
the crawl registry's organization hint).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import identify, slug_to_name, text

SOURCE = "personio"
_HOSTS = (".jobs.personio.de", ".jobs.personio.com")
_ROOT = re.compile(r"<workzag-jobs[\s>/]")
# Fields of a position that are lists of elements, not text.
_LISTS = {"jobDescriptions": "jobDescription", "additionalOffices": "office"}
_SCHEDULE = {"full-time": "Full-time", "part-time": "Part-time",
             "full-or-part-time": "Full-time or part-time"}


def company_from_origin(origin: str) -> str | None:
    """The account name from a feed URL (`acme.jobs.personio.de/xml`), or None."""
    host = (urlsplit(origin).hostname or "").lower() if "://" in origin else ""
    for suffix in _HOSTS:
        if host.endswith(suffix) and host != suffix.lstrip("."):
            return host[: -len(suffix)]
    return None


def _element(node: ET.Element) -> Any:
    """A position element as a dict of text (lists for the repeated parts), for `payload`."""
    out: dict[str, Any] = {}
    for child in node:
        if child.tag in _LISTS:
            out[child.tag] = [_element(c) if len(c) else (c.text or "").strip()
                              for c in child if c.tag == _LISTS[child.tag]]
        elif len(child):
            out[child.tag] = _element(child)
        else:
            out[child.tag] = (child.text or "").strip()
    return out


def positions(data: str, origin: str = "") -> list[dict[str, Any]]:
    """The positions of a feed as dicts; SourceFormatError when it is not a Personio feed."""
    where = origin or "payload"
    if re.search(r"<!DOCTYPE|<!ENTITY", data[:4096], re.IGNORECASE):
        raise SourceFormatError(f"{where}: XML with a DOCTYPE is refused (a feed has none)")
    try:
        root = ET.fromstring(data.lstrip("\ufeff \t\r\n"))
    except ET.ParseError as exc:
        raise SourceFormatError(f"{where}: not valid XML ({exc})") from exc
    if root.tag != "workzag-jobs":
        raise SourceFormatError(f"{where}: not a Personio XML feed (root <{root.tag}>)")
    return [_element(p) for p in root if p.tag == "position"]


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map a Personio XML feed (text, or positions already read as dicts) onto postings."""
    if isinstance(data, str):
        items: list[Any] = positions(data, origin)
    elif isinstance(data, dict) and "name" in data and "id" in data:  # one position
        items = [data]
    else:
        raise SourceFormatError(f"{origin or 'payload'}: not a Personio XML feed")
    account = company_from_origin(origin)
    base = None
    if origin.startswith(("http://", "https://")):
        parts = urlsplit(origin)
        base = f"{parts.scheme}://{parts.netloc}"
    for item in items:
        yield _posting(item, account, base)


def _description(position: dict[str, Any]) -> str | None:
    out = []
    for section in position.get("jobDescriptions") or []:
        if not isinstance(section, dict):
            continue
        name, value = text(section.get("name")), text(section.get("value"))
        if value:
            out.append(f"<h3>{html.escape(name)}</h3>{value}" if name else value)
    return "".join(out) or None


def _location(position: dict[str, Any]) -> str | None:
    offices = [text(position.get("office"))]
    offices += [text(o) for o in position.get("additionalOffices") or [] if isinstance(o, str)]
    return "; ".join(dict.fromkeys(o for o in offices if o)) or None


def _posting(
    position: Any, account: str | None, base: str | None
) -> SourcePosting | BadRecord:
    ident = identify(SOURCE, position, what="position", title_key="name")
    if isinstance(ident, BadRecord):
        return ident
    position, job_id, title = ident
    location = _location(position)
    schedule = text(position.get("schedule"))
    employment = ", ".join(
        p for p in (text(position.get("employmentType")),
                    _SCHEDULE.get(schedule or "", schedule)) if p
    )
    company = text(position.get("subcompany")) or (slug_to_name(account) if account else None)
    return SourcePosting(
        source=SOURCE,
        source_id=job_id,
        url=f"{base}/job/{job_id}" if base else None,
        title=title,
        company=company,
        location=location,
        remote=True if location and re.search(r"\bremote\b", location, re.I) else None,
        employment_type=employment or None,
        date_posted=text(position.get("createdAt")),
        description_html=_description(position),
        payload=position,
    )


def _sniff(head: str) -> bool:
    return head[:1] == "<" and bool(_ROOT.search(head[:4096]))


def _page_board(url: str) -> str | None:
    # The account's career page (acme.jobs.personio.de/) or feed means the board. Only the
    # .de host: board URLs are built on it, and a .com account stays a URL of its own.
    parts = urlsplit(url)
    account = company_from_origin(url)
    on_de = (parts.hostname or "").lower().endswith(_HOSTS[0])
    return account if account and on_de and parts.path.strip("/") in ("", "xml") else None


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    board_api="https://{board}.jobs.personio.de/xml",
    page_board=_page_board,
    api_hosts=("jobs.personio.de", "jobs.personio.com"),
    sniff=_sniff,
    order=55,
    takes_text=True,
))
