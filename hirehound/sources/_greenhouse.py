"""Greenhouse job-board API: `{"jobs": [...], "meta": {...}}` from /v1/boards/<token>/jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import (
    has_key,
    host_of,
    identify,
    looks_json,
    salary_text,
    slug_to_name,
    text,
    unescape_html,
)

SOURCE = "greenhouse"
_EMPLOYMENT_KEY = re.compile(r"employment|commitment|job type|time type", re.IGNORECASE)


def token_from_origin(origin: str) -> str | None:
    """The board token from an API URL (/v1/boards/<token>/jobs) or a file name."""
    if not origin:
        return None
    if "://" in origin:
        parts = [p for p in urlsplit(origin).path.split("/") if p]
        if "boards" in parts and parts.index("boards") + 1 < len(parts):
            return unquote(parts[parts.index("boards") + 1])
        return None
    name = re.split(r"[/\\]", origin)[-1]
    return unquote(re.sub(r"(\.json)?(\.gz)?$", "", name, flags=re.IGNORECASE)) or None


def _token_from_url(url: str | None) -> str | None:
    # boards.greenhouse.io/<token>/jobs/<id> and job-boards.greenhouse.io/<token>/jobs/<id>
    if url and "greenhouse.io" in (host_of(url) or ""):
        parts = [p for p in urlsplit(url).path.split("/") if p]
        if len(parts) >= 3 and parts[1] == "jobs":
            return unquote(parts[0])
    return None


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map one Greenhouse board response (or one job object) onto postings."""
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        jobs = data["jobs"]
    elif isinstance(data, dict) and ("absolute_url" in data or "internal_job_id" in data):
        jobs = [data]
    else:
        raise SourceFormatError(
            f"{origin or 'payload'}: not a Greenhouse board response (no 'jobs' list)"
        )
    token = token_from_origin(origin) if "://" in origin else None
    for job in jobs:
        yield _posting(job, token or token_from_origin(origin))


def _pay(job: dict[str, Any]) -> str | None:
    ranges = job.get("pay_input_ranges")
    if not isinstance(ranges, list):
        return None
    parts = []
    for r in ranges:
        if not isinstance(r, dict):
            continue
        lo, hi = r.get("min_cents"), r.get("max_cents")
        rendered = salary_text(
            r.get("currency_type"),
            lo / 100 if isinstance(lo, (int, float)) else None,
            hi / 100 if isinstance(hi, (int, float)) else None,
        )
        if rendered:
            label = text(r.get("title"))
            parts.append(f"{label}: {rendered}" if label and len(ranges) > 1 else rendered)
    return "; ".join(parts) or None


def _employment_type(job: dict[str, Any]) -> str | None:
    for item in job.get("metadata") or []:
        if isinstance(item, dict) and _EMPLOYMENT_KEY.search(str(item.get("name") or "")):
            value = item.get("value")
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value if v)
            return text(value)
    return None


def _posting(job: Any, token: str | None) -> SourcePosting | BadRecord:
    ident = identify(SOURCE, job)
    if isinstance(ident, BadRecord):
        return ident
    job, job_id, title = ident
    url = text(job.get("absolute_url"))
    location = job.get("location")
    location = text(location.get("name")) if isinstance(location, dict) else text(location)
    company = text(job.get("company_name"))
    if not company:
        slug = _token_from_url(url) or token
        company = slug_to_name(slug) if slug else None
    return SourcePosting(
        source=SOURCE,
        source_id=job_id,
        url=url,
        title=title,
        company=company,
        location=location,
        remote=True if location and re.search(r"\bremote\b", location, re.IGNORECASE) else None,
        employment_type=_employment_type(job),
        date_posted=text(job.get("first_published")) or text(job.get("updated_at")),
        # `content` is HTML escaped once more (&lt;p&gt;): the API's own convention.
        description_html=unescape_html(text(job.get("content"))),
        salary=_pay(job),
        payload=job,
    )


def _sniff(head: str) -> bool:
    if not looks_json(head):
        return False
    if has_key(head, "absolute_url") or has_key(head, "internal_job_id"):
        return True
    # An empty board: nothing but the wrapper.
    return has_key(head, "meta") and bool(re.match(r'\{\s*"jobs"\s*:\s*\[\s*\]', head))


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    board_api="https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true",
    page_hosts=frozenset({"boards.greenhouse.io", "job-boards.greenhouse.io"}),
    api_hosts=("greenhouse.io",),
    api_path=re.compile(r"/v1/boards/[^/]+/jobs"),
    sniff=_sniff,
    order=20,
))
