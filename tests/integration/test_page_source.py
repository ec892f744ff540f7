"""Career pages without JSON-LD through the ingestion flow: a posting, or a dead letter."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db
from tests.unit.sources.conftest import FIXTURES

pytestmark = pytest.mark.integration


def _rows(sql: str) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql)))


def test_pages_become_postings_or_dead_letters(clean_db: Settings, prefect_harness: None,
                                               tmp_path: Path) -> None:
    from flows.ingest import ingest_postings

    job, other = tmp_path / "product-designer.html", tmp_path / "about-us.html"
    shutil.copy(FIXTURES / "page" / job.name, job)
    shutil.copy(FIXTURES / "page" / other.name, other)
    # `source` is checked against the registry's kinds by Prefect's parameter validation.
    counts = ingest_postings(targets=[str(job), str(other)], source="page")
    assert counts["targets_failed"] == 1 and counts["processed"] == 1, counts
    [posting] = _rows("select source, title, status from postings")
    assert (posting.source, posting.title, posting.status) == (
        "page", "Product Designer (Mobile)", "active")
    [letter] = _rows("select target, step, detail from dead_letters")
    assert letter.target == str(other) and "nothing reads like a job offer" in letter.detail
