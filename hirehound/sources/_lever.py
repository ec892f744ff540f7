"""Lever postings API: a bare JSON list from /v0/postings/<company>?mode=json."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import (
    as_dict,
    epoch_ms_to_iso,
    has_key,
    host_of,
    identify,
    looks_json,
    salary_text,
    slug_to_name,
    text,
)

SOURCE = "lever"
_INTERVALS = {
    "per-year-salary": "YEAR",
    "per-month-salary": "MONTH",
    "per-week-salary": "WEEK",
    "per-day-wage": "DAY",
    "per-hour-wage": "HOUR",
    "one-time": "ONE_TIME",
}
_WORKPLACE_REMOTE = {"remote": True, "on-site": False, "onsite": False, "hybrid": False}


def company_from_origin(origin: str) -> str | None:
    """The site name from an API URL (/v0/postings/<company>) or a file name."""
    if not origin:
        return None
    if "://" in origin:
        parts = [p for p in urlsplit(origin).path.split("/") if p]
        if "postings" in parts and parts.index("postings") + 1 < len(parts):
            return unquote(parts[parts.index("postings") + 1])
        return None
    name = re.split(r"[/\\]", origin)[-1]
    return unquote(re.sub(r"(\.json)?(\.gz)?$", "", name, flags=re.IGNORECASE)) or None


def _site_from_url(url: str | None) -> str | None:
    if url and (host_of(url) or "").endswith("lever.co"):
        parts = [p for p in urlsplit(url).path.split("/") if p]
        if parts:
            return unquote(parts[0])
    return None


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map one Lever postings response (a list, or one posting object) onto postings."""
    if isinstance(data, list):
        postings = data
    elif isinstance(data, dict) and ("hostedUrl" in data or "categories" in data):
        postings = [data]
    elif isinstance(data, dict) and isinstance(data.get("data"), list):  # paged wrapper
        postings = data["data"]
    else:
        raise SourceFormatError(f"{origin or 'payload'}: not a Lever postings response (no list)")
    site = company_from_origin(origin)
    for posting in postings:
        yield _posting(posting, site)


def _list_items(lists: Any) -> Iterator[tuple[str | None, str | None]]:
    """(heading, content HTML) of each Lever `lists` entry."""
    for item in lists if isinstance(lists, list) else []:
        if isinstance(item, dict):
            yield text(item.get("text")), text(item.get("content"))


def _lists_html(lists: Any) -> str:
    out = []
    for heading, content in _list_items(lists):
        if heading:
            out.append(f"<h3>{html.escape(heading)}</h3>")
        if content:
            out.append(content if content.lstrip().startswith("<ul") else f"<ul>{content}</ul>")
    return "".join(out)


def _lists_plain(lists: Any) -> str:
    out = []
    for heading, content in _list_items(lists):
        if heading:
            out.append(heading)
        if content:
            items = re.findall(r"<li[^>]*>(.*?)</li>", content, re.IGNORECASE | re.DOTALL)
            for li in items or [content]:
                out.append("- " + html.unescape(re.sub(r"<[^>]+>", "", li)).strip())
    return "\n".join(out)


def _posting(job: Any, site: str | None) -> SourcePosting | BadRecord:
    ident = identify(SOURCE, job, what="posting", title_key="text")
    if isinstance(ident, BadRecord):
        return ident
    job, job_id, title = ident
    cats = as_dict(job.get("categories"))
    location = text(cats.get("location"))
    if not location and isinstance(cats.get("allLocations"), list):
        location = "; ".join(str(x) for x in cats["allLocations"] if x) or None
    country = text(job.get("country"))
    if location and country and not location.rstrip().endswith(country):
        location = f"{location}, {country}"
    body_html = text(job.get("description")) or "".join(
        p for p in (text(job.get("opening")), text(job.get("descriptionBody"))) if p
    )
    description_html = description = None
    if body_html:
        description_html = (
            "".join(
                p
                for p in (body_html, _lists_html(job.get("lists")), text(job.get("additional")))
                if p
            )
            or None
        )
    if not description_html:
        description = (
            "\n\n".join(
                p
                for p in (
                    text(job.get("descriptionPlain")),
                    _lists_plain(job.get("lists")),
                    text(job.get("additionalPlain")),
                )
                if p
            )
            or None
        )
    sal = as_dict(job.get("salaryRange"))
    interval = text(sal.get("interval"))
    salary = salary_text(
        sal.get("currency"),
        sal.get("min"),
        sal.get("max"),
        _INTERVALS.get(interval or "", interval),
    ) or text(job.get("salaryDescriptionPlain"))
    url = text(job.get("hostedUrl")) or text(job.get("applyUrl"))
    slug = _site_from_url(url) or site
    workplace = (text(job.get("workplaceType")) or "").lower()
    return SourcePosting(
        source=SOURCE,
        source_id=job_id,
        url=url,
        title=title,
        company=slug_to_name(slug) if slug else None,
        location=location,
        remote=_WORKPLACE_REMOTE.get(workplace),
        employment_type=text(cats.get("commitment")),
        date_posted=epoch_ms_to_iso(job.get("createdAt")),
        description_html=description_html,
        description=description,
        salary=salary,
        payload=job,
    )


def _sniff(head: str) -> bool:
    return looks_json(head) and (
        has_key(head, "hostedUrl") or (has_key(head, "categories") and head[0] == "[")
    )


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    board_api="https://api.lever.co/v0/postings/{board}?mode=json",
    page_hosts=frozenset({"jobs.lever.co"}),
    api_hosts=("lever.co",),
    api_path=re.compile(r"/v0/postings/"),
    sniff=_sniff,
    order=30,
))
