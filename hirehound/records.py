"""In-flight posting records shared by the sources and the pipeline steps.

A source yields `SourcePosting` (mapped onto the generic import fields) or `BadRecord`
(a record it could not map: it becomes a dead letter, never silently dropped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SourcePosting:
    """One posting as a source gives it, mapped onto the common import fields."""

    source: str
    source_id: str
    url: str | None = None
    title: str | None = None
    company: str | None = None
    company_domain: str | None = None
    location: str | None = None
    remote: bool | None = None
    employment_type: str | None = None
    date_posted: str | None = None
    valid_through: str | None = None
    description_html: str | None = None
    # Plain text or Markdown, when the source has no HTML.
    description: str | None = None
    # Salary as the source writes it ("$120k - $150k per year"), parsed by the normalize step.
    salary: str | None = None
    # The source record as fetched, stored raw (JSONB) before anything else happens.
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Only http(s) URLs are stored and exported: a `javascript:` or `data:` URL from a
        # feed is dropped here, with its reason logged (the raw payload still has it).
        if self.url is not None:
            from hirehound.net import url_problem

            problem = url_problem(self.url)
            if problem is not None:
                logging.getLogger(__name__).info(
                    "%s %s: url dropped (%s)", self.source, self.source_id, problem
                )
                self.url = None
            else:
                self.url = self.url.strip()


@dataclass(slots=True)
class BadRecord:
    """A record a source could not map onto a posting, with the reason."""

    source: str
    source_id: str | None
    payload: Any
    error: str
    detail: str


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    """Something that failed for good: a posting, a record, a target or an organization.

    The one record every step, task and flow builds; `hirehound.storage.dead_letters.record`
    is the one writer. What the letter is about is, in this order: `posting_id`, `target` (a
    board, URL or file that could not be read), `organization_id` (an enrichment), or
    `source`/`source_id` (a record that never became a posting). Run fields left empty are
    filled by the writer from the run it is told about.
    """

    step: str
    error: str  # exception class name or a short code
    detail: str
    posting_id: int | None = None
    source: str | None = None
    source_id: str | None = None
    payload: Any = None
    # The board, URL or file, when the failure is a whole target's (no posting to name).
    target: str | None = None
    organization_id: int | None = None
    # The run that failed (flow-run id), its flow, task and work queue (the concern).
    run_id: str | None = None
    flow_name: str | None = None
    task_name: str | None = None
    work_queue: str | None = None
    # What the failed call was given, kept small (ids, parameters) to replay it.
    inputs: dict[str, Any] | None = None


# The name the sources and steps build letters by (one type, not two).
DeadLetter = DeadLetterRecord
