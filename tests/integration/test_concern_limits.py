"""Every concern's queue is used by a deployment, and every concern's global limit binds: with
its only slot held elsewhere, the work of that concern waits for it (issue 16: limits that
bind). Enrichment's limit is shown in test_enrichment_flow."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from hirehound import concerns
from hirehound.settings import Settings
from hirehound.storage import db
from tests.conftest import shared_data

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# How long the holder keeps the slot at most, waiting for the work to be refused it (it was
# a fixed 10 s: 70 s over the module, and no proof the work had asked by then).
REFUSED_WITHIN_S = 300.0
BODY = ("<h2>About the role</h2><p>We are hiring a {role} to build our payments platform in "
        "Python and PostgreSQL.</p><ul><li>Design APIs</li><li>Run Kubernetes services</li>"
        "</ul><h3>Benefits</h3><p>Health, 401k, equity.</p>")


def test_every_queue_has_a_deployment() -> None:
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    used = {d["work_pool"]["work_queue_name"] for d in deployments}
    assert set(concerns.QUEUES) <= used, set(concerns.QUEUES) - used


def _record(i: int, role: str) -> dict[str, Any]:
    return {"source": "limits", "source_id": str(i), "url": f"https://jobs.example.com/{i}",
            "title": role.title(), "company": "Acme Payments", "location": "Berlin, Germany",
            "date_posted": "2026-11-01", "description_html": BODY.format(role=role)}


def _file(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> str:
    path = tmp_path / f"{name}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return str(path)


@pytest.fixture
def limit(prefect_harness: None) -> Iterator[Callable[[str], None]]:
    """Create a one-slot global limit by name (deleted after the test)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    made: list[str] = []

    def create(name: str) -> None:
        with get_client(sync_client=True) as client, contextlib.suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name(name)  # one slot, whoever made it
        with get_client(sync_client=True) as client:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name,
                                                                                limit=1))
        made.append(name)

    yield create
    with get_client(sync_client=True) as client:
        for name in made:
            client.delete_global_concurrency_limit_by_name(name)


@contextlib.contextmanager
def _refusals(name: str) -> Iterator[threading.Event]:
    """An event set when the server refuses a slot of `name` (423: the limit is full) to
    this process's slot takers (`tasks._context`): it watches their requests, changes none."""
    import tasks._context as ctx

    refused = threading.Event()
    post = ctx._post

    def watched(client: Any, path: str, body: dict[str, Any]) -> Any:
        response = post(client, path, body)
        if response.status_code == 423 and name in body.get("names", ()):
            refused.set()
        return response

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ctx, "_post", watched)
        yield refused


def _waits_for(name: str, work: Callable[[], Any]) -> Any:
    """Run `work` once with the slot free (warm caches), then while a holder keeps the only
    slot until the work has asked for it and been refused: it must still be running when the
    slot is given back. Returns the held run's result."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency

    work()
    held, done = threading.Event(), threading.Event()
    result: list[Any] = []
    finished_while_held: list[bool] = []

    with _refusals(name) as refused:
        def hold() -> None:
            with concurrency(name, occupy=1):
                held.set()
                # Not a fixed time: until the work is refused its slot (it may take long to
                # get there on a loaded machine), or has finished (it should not), or never.
                deadline = time.monotonic() + REFUSED_WITHIN_S
                while not (refused.is_set() or done.is_set()) and time.monotonic() < deadline:
                    refused.wait(0.1)
                finished_while_held.append(done.is_set())

        def run() -> None:
            try:
                result.append(work())
            finally:
                done.set()

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(30)
        worker = threading.Thread(target=run)
        worker.start()
        holder.join()
        worker.join(300)
    assert result, f"{name}: the work failed or never finished"
    assert refused.is_set(), f"{name}: the work never asked for its slot while it was held"
    # Held, it cannot finish before the slot comes back.
    assert finished_while_held == [False], f"{name}: finished while its slot was held"
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).active_slots == 0
    return result[0]


@pytest.fixture
def corpus(clean_db: Settings, prefect_harness: None, tmp_path: Path) -> None:
    """A few published postings (one duplicate cluster) to re-run stages over."""
    from flows.ingest import ingest_postings

    roles = ["backend engineer", "data engineer", "site reliability engineer"]
    records = [_record(i, r) for i, r in enumerate(roles)]
    records.append({**records[0], "source_id": "copy", "url": "https://jobs.example.com/c"})
    ingest_postings(targets=[_file(tmp_path, "corpus", records)])


@pytest.mark.parametrize("stage, name", [("embed", concerns.ML),
                                         ("index", concerns.INDEXING)])
def test_reprocessing_holds_its_limit(corpus: None, limit: Callable[[str], None],
                                      stage: str, name: str) -> None:
    from flows.reprocess import reprocess_postings

    def rows() -> tuple[int, int]:
        with db.transaction() as s:
            return (s.execute(text("select count(*) from posting_embeddings")).scalar_one(),
                    s.execute(text("select count(*) from posting_skills")).scalar_one())

    before = rows()
    limit(name)
    counts = _waits_for(name, lambda: reprocess_postings(stage=stage))
    assert counts["selected"] == counts["indexed"] == 4, counts
    assert rows() == before  # re-running replaced rows, it added none


def test_ingestion_holds_processing(clean_db: Settings, limit: Callable[[str], None],
                                    tmp_path: Path) -> None:
    from flows.ingest import ingest_postings

    limit(concerns.PROCESSING)
    n = iter(range(100))
    counts = _waits_for(concerns.PROCESSING, lambda: ingest_postings(
        targets=[_file(tmp_path, f"p{next(n)}", [_record(next(n), "qa engineer")])]))
    assert counts["processed"] == 1


def test_one_posting_holds_critical(clean_db: Settings, limit: Callable[[str], None]) -> None:
    from flows.ingest import ingest_posting

    n = iter(range(100))

    def one() -> Any:
        i = next(n)
        job = {"id": f"crit-{i}", "title": f"Platform Engineer {i}", "location": "Remote",
               "jobUrl": f"https://jobs.ashbyhq.com/acme/{i}",
               "descriptionHtml": BODY.format(role=f"platform engineer {i}")}
        return ingest_posting(payload={"apiVersion": "1", "jobs": [job]}, source="ashby",
                              origin="acme")

    limit(concerns.CRITICAL)
    counts = _waits_for(concerns.CRITICAL, one)
    assert counts["processed"] == 1


def test_maintenance_and_dedup_and_cron_hold_theirs(corpus: None,
                                                    limit: Callable[[str], None]) -> None:
    from flows.crawl import crawl_due_sources
    from flows.maintenance import expire_postings, revalidate_duplicate_clusters

    for name, work in ((concerns.MAINTENANCE, lambda: expire_postings(max_age_days=60)),
                       (concerns.DEDUPLICATION, revalidate_duplicate_clusters),
                       (concerns.CRON, lambda: crawl_due_sources(use_pool=False))):
        limit(name)
        _waits_for(name, work)


def test_a_crawl_holds_scraping(clean_db: Settings, limit: Callable[[str], None],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.crawl import crawl_sources
    from tests.support.boards import one_board_source

    shared_data("postings", "ashby")
    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "true")
    with one_board_source() as (_farm, source_id):
        limit(concerns.SCRAPING)
        counts = _waits_for(concerns.SCRAPING, lambda: crawl_sources(source_ids=[source_id]))
    assert counts["targets"] == 1, counts
