"""Flat-record sources: JobSpy exports and the generic JSONL/CSV import (one record at a time)."""

from __future__ import annotations

import re
from typing import Any

from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import (
    as_bool,
    bad,
    csv_columns,
    has_key,
    host_of,
    looks_json,
    salary_text,
    stable_id,
    text,
)

JOBSPY = "jobspy"
GENERIC_FIELDS = (
    "source",
    "source_id",
    "url",
    "title",
    "company",
    "location",
    "remote",
    "employment_type",
    "date_posted",
    "description_html",
    "description",
)
# Hosts that are job boards, not the employer's own site (JobSpy's company_url is often one).
_BOARD_HOSTS = re.compile(
    r"(^|\.)(glassdoor|linkedin|indeed|ziprecruiter|google|naukri|bayt|lever|greenhouse|"
    r"ashbyhq|workday|myworkdayjobs|eightfold|vscdn)\.",
    re.IGNORECASE,
)
_LOOKS_HTML = re.compile(r"<(p|div|ul|ol|li|br|h[1-6]|strong|b|span|table)\b", re.IGNORECASE)


def _location(value: Any) -> str | None:
    # Newer JobSpy writes {"city", "state", "country"}; exports flatten it to text.
    if isinstance(value, dict):
        parts = [text(value.get(k)) for k in ("city", "state", "country")]
        return ", ".join(p for p in parts if p) or None
    return text(value)


def jobspy_posting(rec: Any) -> SourcePosting | BadRecord:
    """Map one JobSpy record (JSON, JSONL or CSV row) onto a posting."""
    if not isinstance(rec, dict):
        return bad(JOBSPY, rec, "not_an_object", f"record is a {type(rec).__name__}, not an object")
    url = text(rec.get("job_url")) or text(rec.get("job_url_direct"))
    source_id = text(rec.get("id")) or (stable_id(url) if url else None)
    if not source_id:
        return bad(JOBSPY, rec, "missing_id", "record has neither 'id' nor 'job_url'")
    title = text(rec.get("title"))
    if not title:
        return bad(JOBSPY, rec, "missing_title", "record has no title", source_id=source_id)
    desc = text(rec.get("description"))
    is_html = bool(desc and _LOOKS_HTML.search(desc[:2000]))
    domain = None
    for key in ("company_url_direct", "company_url"):
        host = host_of(text(rec.get(key)))
        if host and not _BOARD_HOSTS.search(host + "."):
            domain = host
            break
    interval = text(rec.get("interval"))
    return SourcePosting(
        source=JOBSPY,
        source_id=source_id,
        url=url,
        title=title,
        company=text(rec.get("company")),
        company_domain=domain,
        location=_location(rec.get("location")),
        remote=as_bool(rec.get("is_remote")),
        employment_type=text(rec.get("job_type")),
        date_posted=text(rec.get("date_posted")),
        description_html=desc if is_html else None,
        description=None if is_html else desc,
        salary=salary_text(
            rec.get("currency"),
            rec.get("min_amount"),
            rec.get("max_amount"),
            interval.upper() if interval else None,
        ),
        payload=rec,
    )


def generic_posting(rec: Any, *, default_source: str = "generic") -> SourcePosting | BadRecord:
    """Map one generic import record onto a posting; `source` is the record's own."""
    if not isinstance(rec, dict):
        return bad(
            default_source, rec, "not_an_object", f"record is a {type(rec).__name__}, not an object"
        )
    source = text(rec.get("source"))
    source_id = text(rec.get("source_id"))
    if not source:
        return bad(default_source, rec, "missing_source", "record has no 'source'", source_id)
    if not source_id:
        return bad(source, rec, "missing_id", "record has no 'source_id'")
    title = text(rec.get("title"))
    if not title:
        return bad(source, rec, "missing_title", "record has no title", source_id=source_id)
    return SourcePosting(
        source=source,
        source_id=source_id,
        url=text(rec.get("url")),
        title=title,
        company=text(rec.get("company")),
        company_domain=text(rec.get("company_domain")),
        location=_location(rec.get("location")),
        remote=as_bool(rec.get("remote")),
        employment_type=text(rec.get("employment_type")),
        date_posted=text(rec.get("date_posted")),
        valid_through=text(rec.get("valid_through")),
        description_html=text(rec.get("description_html")),
        description=text(rec.get("description")),
        salary=text(rec.get("salary")),
        payload=rec,
    )


_JOBSPY_COLUMNS = frozenset({"site", "job_url"})
_GENERIC_COLUMNS = frozenset({"source", "source_id"})


def _sniff_jobspy(head: str) -> bool:
    if looks_json(head):
        return has_key(head, "job_url") and has_key(head, "site")
    return csv_columns(head) >= _JOBSPY_COLUMNS


def _sniff_generic(head: str) -> bool:
    if looks_json(head):
        return has_key(head, "source_id") and has_key(head, "source")
    return csv_columns(head) >= _GENERIC_COLUMNS


# Flat records: JSON lists, JSON lines or CSV, one record at a time.
JOBSPY_ADAPTER = register(SourceAdapter(
    kind=JOBSPY, record=jobspy_posting, sniff=_sniff_jobspy, order=40, columns=_JOBSPY_COLUMNS,
))
GENERIC_ADAPTER = register(SourceAdapter(
    kind="generic", record=generic_posting, sniff=_sniff_generic, order=50,
    columns=_GENERIC_COLUMNS,
))
