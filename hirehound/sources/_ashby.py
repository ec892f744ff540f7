"""Ashby job-board API: `{"apiVersion": "1", "jobs": [...]}` from /posting-api/job-board/<board>."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import (
    as_dict,
    board_company,
    has_key,
    identify,
    looks_json,
    text,
)

SOURCE = "ashby"
# Text looked at to learn how a board spells its employer name (enough, and cheap).
_NAME_SAMPLE = 20


def board_from_origin(origin: str) -> str | None:
    """The board slug from a file name (`Iodine%20Software.json.gz`) or an Ashby URL."""
    if not origin:
        return None
    if "://" in origin:
        parts = [p for p in urlsplit(origin).path.split("/") if p]
        if "job-board" in parts and parts.index("job-board") + 1 < len(parts):
            return unquote(parts[parts.index("job-board") + 1])
        if "ashbyhq.com" in (urlsplit(origin).hostname or "") and parts:
            return unquote(parts[0])
        return unquote(parts[-1]) if parts else None
    name = re.split(r"[/\\]", origin)[-1]
    name = re.sub(r"(\.json)?(\.gz)?$", "", name, flags=re.IGNORECASE)
    return unquote(name) or None


def _board_from_jobs(jobs: list[Any]) -> str | None:
    for job in jobs:
        if isinstance(job, dict) and isinstance(job.get("jobUrl"), str):
            parts = [p for p in urlsplit(job["jobUrl"]).path.split("/") if p]
            if parts:
                return unquote(parts[0])
    return None


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map one Ashby board response onto postings; the employer comes from the board name."""
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        jobs = data["jobs"]
    elif isinstance(data, dict) and "jobUrl" in data:  # one job object (event-driven ingestion)
        jobs = [data]
    else:
        raise SourceFormatError(
            f"{origin or 'payload'}: not an Ashby job-board response (no 'jobs' list)"
        )
    # The job URLs carry the board slug itself; a file may have been renamed.
    board = _board_from_jobs(jobs) or board_from_origin(origin)
    company = None
    if board:
        sample = [j for j in jobs[:_NAME_SAMPLE] if isinstance(j, dict)]
        texts = [text(j.get("title")) for j in jobs if isinstance(j, dict)]
        texts += [text(j.get("descriptionPlain")) for j in sample]
        company = board_company(board, texts)
    for job in jobs:
        yield _posting(job, company)


def _posting(job: Any, company: str | None) -> SourcePosting | BadRecord:
    ident = identify(SOURCE, job)
    if isinstance(ident, BadRecord):
        return ident
    job, job_id, title = ident
    comp = as_dict(job.get("compensation"))
    salary = None
    # Ashby marks pay the employer chose not to show; keep it out of the published posting.
    if job.get("shouldDisplayCompensationOnJobPostings") is not False:
        salary = text(comp.get("compensationTierSummary")) or text(
            comp.get("scrapeableCompensationSalarySummary")
        )
    html = text(job.get("descriptionHtml"))
    return SourcePosting(
        source=SOURCE,
        source_id=job_id,
        url=text(job.get("jobUrl")) or text(job.get("applyUrl")),
        title=title,
        company=company,
        location=text(job.get("location")),
        remote=job.get("isRemote") if isinstance(job.get("isRemote"), bool) else None,
        employment_type=text(job.get("employmentType")),
        date_posted=text(job.get("publishedAt")),
        description_html=html,
        description=None if html else text(job.get("descriptionPlain")),
        salary=salary,
        payload=job,
    )


def _sniff(head: str) -> bool:
    if not looks_json(head):
        return False
    listed = has_key(head, "isListed") or has_key(head, "descriptionPlain")
    return has_key(head, "apiVersion") or (has_key(head, "jobUrl") and listed)


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    board_api="https://api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true",
    page_hosts=frozenset({"jobs.ashbyhq.com"}),
    api_hosts=("ashbyhq.com",),
    api_path=re.compile(r"/posting-api/job-board/"),
    sniff=_sniff,
    order=10,
))
