"""Every task that holds a concern writes its stage record, not only ingestion's chunk stages:
crawls and source claims, enrichment, maintenance, dedup revalidation and reprocessing, each
under its concern's queue, once per attempt (a task a flow runs as a stage is not counted
twice), with the postings it handled; and the slots they take reach `rate_limit_stats` with
their record, on the real Prefect test API and the test PostgreSQL."""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound import concerns
from hirehound.settings import Settings
from hirehound.storage import db
from tests.conftest import shared_data

pytestmark = pytest.mark.integration

BODY = ("<h2>About the role</h2><p>We are hiring a {role} to build our payments platform in "
        "Python and PostgreSQL.</p><ul><li>Design APIs</li></ul>")


def _rows() -> list[tuple[str, str, str, int, int]]:
    with db.transaction() as session:
        return [tuple(r) for r in session.execute(text(
            "select stage, queue, status, postings_in, postings_out from stage_runs "
            "order by id"))]


def _ingest(tmp_path: Path) -> None:
    from flows.ingest import ingest_postings

    path = tmp_path / "corpus.jsonl.gz"
    roles = ["backend engineer", "data engineer", "site reliability engineer"]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i, role in enumerate(roles):
            fh.write(json.dumps({
                "source": "metrics", "source_id": str(i), "url": f"https://jobs.example.com/{i}",
                "title": role.title(), "company": "Acme Payments", "location": "Berlin",
                "date_posted": "2026-11-01", "description_html": BODY.format(role=role)}) + "\n")
    ingest_postings(targets=[str(path)])


@pytest.fixture
def maintenance_limit(prefect_harness: None) -> Iterator[None]:
    """The `maintenance` global limit, as `hirehound setup` makes it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    name = concerns.MAINTENANCE
    with get_client(sync_client=True) as client:
        with contextlib.suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name(name)
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(
            name=name, limit=concerns.QUEUES[name]))
    yield
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(name)


def test_tasks_holding_a_concern_record_their_stage(
    clean_db: Settings, maintenance_limit: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.crawl import crawl_due_sources
    from flows.enrich import enrich_organization
    from flows.maintenance import expire_postings, revalidate_duplicate_clusters
    from flows.reprocess import reprocess_postings

    monkeypatch.setenv("HIREHOUND_EMBEDDING_PROVIDER", "hashing")
    _ingest(tmp_path)
    ingest_rows = len(_rows())
    expire_postings(max_age_days=60)
    revalidate_duplicate_clusters()
    crawl_due_sources(use_pool=False)  # no source is due: the claim alone
    reprocess_postings(stage="index")
    with db.transaction() as session:
        org_id = session.execute(text("select min(id) from organizations")).scalar_one()
    enrich_organization(org_id)

    rows = _rows()[ingest_rows:]
    by_stage: dict[str, list[tuple[str, str, int, int]]] = {}
    for stage, queue, status, n_in, n_out in rows:
        by_stage.setdefault(stage, []).append((queue, status, n_in, n_out))
    assert by_stage["expire_postings"] == [("maintenance", "completed", 0, 0)]
    assert by_stage["revalidate"] == [("deduplication", "completed", 0, 0)]
    # A claim the flow runs as a stage records once, under the concern it holds.
    assert by_stage["claim_sources"] == [("cron", "completed", 0, 0)]
    assert by_stage["reindex"] == [("indexing", "completed", 3, 3)]
    assert {q for q, *_ in by_stage["select_organizations"]} == {"enrichment"}
    assert {q for q, *_ in by_stage["fetch_source"]} == {"enrichment"}
    assert [s for _, s, *_ in by_stage["merge_organization"]] == ["completed"]
    assert "dedup_organization" in by_stage and "release_organizations" in by_stage
    # The maintenance slot the expiry took is counted with its record.
    with db.transaction() as session:
        acquired = session.execute(text(
            "select acquired from rate_limit_stats where limit_name = :n"),
            {"n": concerns.MAINTENANCE}).scalar_one()
    assert acquired == 1


def test_a_crawl_records_its_board_once_with_the_postings_it_stored(
    clean_db: Settings, prefect_harness: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.crawl import crawl_sources
    from tests.support.boards import one_board_source

    shared_data("postings", "ashby")
    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "true")
    with one_board_source() as (_farm, source_id):
        counts: dict[str, Any] = crawl_sources(source_ids=[source_id])
    boards = [r for r in _rows() if r[0] == "crawl_board"]
    assert len(boards) == 1, boards
    assert boards[0][1:3] == ("scraping", "completed")
    # The postings the board stored to process: the first stage took them all in.
    prepared = sum(r[3] for r in _rows() if r[0] == "prepare_and_check")
    assert boards[0][4] == prepared > 0, (boards, counts)
