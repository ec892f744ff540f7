"""A bulk import on a real pool: a real `prefect server` (port 4300-4399: the upper half of
HIREHOUND_TEST_PORTS), `hirehound setup`, the `ingest-import` and `process-postings`
deployments of prefect.yaml, two real process workers polling `processing` and the test PostgreSQL.

The import: N_FILES generated JSONL files of PER_FILE realistic, distinct generic postings,
given as separate targets so they are read one after another. With POOL_THRESHOLD at two
files' worth, the parent (itself a run of `ingest-import` on one of the workers) processes
the first two files itself, then hands each further file's postings (CHUNKS_PER_RUN chunks of
CHUNK) to a child run of `process-postings`. The test pauses the queue once the parent runs,
cancels the last child while it waits there, as an operator would in the UI, and resumes the
queue: the cancelled child's postings must be dead-lettered (step "process"), not lost.
Everything runs once for the module (~2 minutes on 2 cores); the tests assert on what it
recorded. Timings are printed with `-s`.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings

pytestmark = pytest.mark.integration

N_FILES = 8
PER_FILE = 400
CHUNK = 200
CHUNKS_PER_RUN = 2
POOL_THRESHOLD = 2 * PER_FILE  # the first two files run in the parent
WORKER_LIMIT = 2
IMPORT_TIMEOUT_S = 150.0  # how long the import may go without progress
PARENT = "ingest-postings/ingest-import"
WORKER_LABEL = "prefect.worker.name"
QUEUES = ("processing",)

ROLES = ["Backend Engineer", "Data Analyst", "Product Designer", "Site Reliability Engineer",
         "Account Executive", "Marketing Manager", "Machine Learning Engineer",
         "Customer Success Manager", "Frontend Engineer", "Financial Analyst", "Recruiter",
         "Security Engineer", "Data Engineer", "Product Manager", "QA Engineer",
         "Technical Writer", "Solutions Architect", "Sales Development Representative"]
LEVELS = ["", "Senior ", "Staff ", "Lead ", "Junior ", "Principal "]
PREFIXES = ["Acme", "Bright", "Nimbus", "Copper", "Northwind", "Bluefin", "Quarry", "Lumen",
            "Harbor", "Juniper", "Vertex", "Orchid", "Granite", "Pioneer", "Saffron", "Tidal"]
FIELDS = ["Payments", "Health", "Robotics", "Analytics", "Logistics", "Energy", "Security",
          "Learning", "Foods", "Mobility", "Insurance", "Media"]
SUFFIXES = ["Inc.", "GmbH", "Ltd", "Labs", "AG", "Co."]
PLACES = ["Berlin, Germany", "London, United Kingdom", "New York, NY", "Austin, TX",
          "Toronto, Canada", "Paris, France", "Amsterdam, Netherlands", "Remote",
          "San Francisco, CA", "Munich, Germany", "Dublin, Ireland", "Madrid, Spain"]
SKILLS = ["Python", "PostgreSQL", "Kubernetes", "React", "TypeScript", "Go", "AWS",
          "Terraform", "SQL", "Excel", "Salesforce", "Figma", "Java", "Docker", "Spark",
          "Tableau", "Looker", "Rust", "GraphQL", "Kafka", "dbt", "Airflow", "Node.js"]
DUTIES = ["design and ship features end to end", "own the roadmap of a product area",
          "work closely with customers to understand their needs",
          "build dashboards and forecasts for the leadership team",
          "run and improve our production services", "mentor engineers on the team",
          "grow revenue in a new market", "review code and write design documents",
          "automate manual processes", "improve the reliability of our data pipelines",
          "hire and onboard new colleagues", "write clear documentation for developers"]
PERKS = ["Health insurance", "A 401k match", "Equity", "30 days of paid leave",
         "A learning budget", "Flexible hours", "Parental leave", "A home office stipend"]


def _posting(rng: random.Random, i: int, companies: list[str]) -> dict[str, Any]:
    company = companies[i % len(companies)]
    title = rng.choice(LEVELS) + rng.choice(ROLES)
    skills = rng.sample(SKILLS, 4)
    duties = rng.sample(DUTIES, 3)
    body = (
        f"<h2>About {company}</h2><p>{company} builds {rng.choice(FIELDS).lower()} software "
        f"for {rng.randint(20, 4000)} customers in {rng.randint(2, 40)} countries.</p>"
        f"<h3>The role</h3><p>As our {title} you will {duties[0]}, {duties[1]} and "
        f"{duties[2]}.</p><ul>"
        + "".join(f"<li>{rng.randint(1, 8)} years with {s}</li>" for s in skills)
        + f"</ul><h3>Benefits</h3><p>{', '.join(rng.sample(PERKS, 3))}.</p>"
        f"<p>Requisition {i:05d}-{rng.randint(100, 999)}.</p>"
    )
    return {
        "source": "poolboard", "source_id": f"job-{i}", "url": f"https://jobs.example.com/{i}",
        "title": title, "company": company, "location": rng.choice(PLACES),
        "remote": rng.random() < 0.2, "employment_type": "Full-time",
        "date_posted": f"2026-11-{rng.randint(1, 28):02d}", "description_html": body,
        "description": None,
    }


def _write_files(folder: Path) -> list[str]:
    rng = random.Random(7)
    companies = sorted({f"{rng.choice(PREFIXES)} {rng.choice(FIELDS)} {rng.choice(SUFFIXES)}"
                        for _ in range(300)})
    paths = []
    for f in range(N_FILES):
        path = folder / f"part-{f}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            for i in range(f * PER_FILE, (f + 1) * PER_FILE):
                fh.write(json.dumps(_posting(rng, i, companies)) + "\n")
        paths.append(str(path))
    return paths


@dataclass
class Child:
    id: Any
    name: str
    state: str
    worker: str | None
    ids: list[int]
    counts: dict[str, Any]


@dataclass
class Import:
    parent: Any
    parent_counts: dict[str, Any]
    children: list[Child]
    cancelled: str  # name of the child the test cancelled
    workers: list[str]
    wall_s: float


def _artifact_counts(run_id: Any, key: str) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    if not found:
        return {}
    data = found[0].data
    rows: Any = json.loads(data) if isinstance(data, str) else data
    return {r["metric"]: r["value"] for r in rows}


def _children(parent_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with get_client(sync_client=True) as client:
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id]))))


def _cancel_last_child(parent_id: Any, expected: int, timeout: float) -> str:
    """Once all `expected` children exist, cancel the last-numbered one (still SCHEDULED: the
    queue is paused) as an operator would in the UI. Returns its name.

    Only a SCHEDULED run: cancelling one a worker has just taken (PENDING) races the worker's
    start of its process in Prefect itself; the run may then stay CANCELLING or run anyway."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    deadline = time.monotonic() + timeout
    while True:
        runs = _children(parent_id)
        if len(runs) >= expected:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(runs)} child runs after {timeout:.0f}s, not {expected}")
        time.sleep(0.2)

    def number(run: Any) -> int:
        return int(run.name.split()[1].rstrip(":"))

    target = max(runs, key=number)
    assert target.state is not None and target.state.type.value == "SCHEDULED", target.state
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(target.id, Cancelled(message="cancelled by the test"),
                                  force=True)
    print(f"[ingest-pool] cancelled {target.name}")
    return str(target.name)


def _pause_queue(paused: bool) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        queue = client.read_work_queue_by_name(QUEUES[0], work_pool_name="hirehound")
        client.update_work_queue(queue.id, is_paused=paused)


def _progress(parent_id: Any) -> object:
    """What changes while the import gets on: postings per step and the children's states.
    A loaded machine (the full suite on 2 cores) makes the import slower, not stuck."""
    from hirehound.storage import db

    with db.transaction() as session:
        steps = tuple(session.execute(text(
            "select step, count(*) from postings group by step order by step")).all())
    states = tuple(sorted(r.state.type.value if r.state else "?" for r in _children(parent_id)))
    return steps, states


def _wait_online(names: list[str], timeout: float = 60.0) -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            online = {w.name for w in client.read_workers_for_work_pool("hirehound")
                      if w.status is not None and w.status.value == "ONLINE"}
            if set(names) <= online:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"workers {set(names) - online} not online")
            time.sleep(0.5)


@pytest.fixture(scope="module")
def imported(database_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[Import]:
    from deployments.setup import SetupConfig, setup
    from hirehound.storage import db
    from hirehound.storage.models import Base
    from tests.support import prefect_server as ps

    db.configure(database_settings)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as session:
        session.execute(text(f"truncate {tables} restart identity cascade"))
    home = tmp_path_factory.mktemp("ingest-pool")
    files = _write_files(tmp_path_factory.mktemp("ingest-pool-files"))
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        # The upper half of the test ports (4300-4399): other test servers of this machine
        # take the lower one.
        server = stack.enter_context(ps.start_server(home, ports=ps.port_range(upper=True)))
        setup(config=SetupConfig(database_url=os.environ["HIREHOUND_DATABASE_URL"],
                                 heartbeat_s=ps.HEARTBEAT_S, stuck_after_s=2 * ps.HEARTBEAT_S))
        ps.deploy(server, "-n", "ingest-import", "-n", "process-postings")
        t_setup = time.monotonic()
        print(f"[ingest-pool] server, setup and deploy: {t_setup - t0:.1f}s")
        env = {"HIREHOUND_EMBEDDING_PROVIDER": "hashing", "HIREHOUND_CPU_WORKERS": "0"}
        names = ["pool-1", "pool-2"]
        procs = [ps.start_worker(server, QUEUES, n, limit=WORKER_LIMIT, env=env) for n in names]
        try:
            _wait_online(names)
            t1 = time.monotonic()
            parent_id = ps.submit(PARENT, targets=files, chunk_size=CHUNK,
                                  pool_threshold=POOL_THRESHOLD,
                                  chunks_per_run=CHUNKS_PER_RUN).id
            expected = (N_FILES * PER_FILE - POOL_THRESHOLD) // (CHUNK * CHUNKS_PER_RUN)
            # The parent runs; its children wait on the paused queue until one is cancelled.
            ps.wait_for_run(parent_id, until={"RUNNING"}, timeout=IMPORT_TIMEOUT_S)
            _pause_queue(True)
            cancelled = _cancel_last_child(parent_id, expected, IMPORT_TIMEOUT_S)
            _pause_queue(False)
            parent = ps.wait_for_run(parent_id, until=ps.DONE, timeout=IMPORT_TIMEOUT_S,
                                     progress=lambda: _progress(parent_id))
            wall = time.monotonic() - t1
            children = [
                Child(r.id, r.name, r.state.type.value if r.state else "?",
                      (r.labels or {}).get(WORKER_LABEL), list(r.parameters["posting_ids"]),
                      _artifact_counts(r.id, "process-summary"))
                for r in _children(parent_id)
            ]
            result = Import(parent, _artifact_counts(parent_id, "ingest-summary"), children,
                            cancelled, names, wall)
            print(f"[ingest-pool] import of {N_FILES * PER_FILE} postings: {wall:.1f}s, parent "
                  f"{parent.state.type.value}, children "
                  f"{[(c.name, c.state, c.worker) for c in children]}")
            print(f"[ingest-pool] parent counts: {result.parent_counts}")
        finally:
            for proc in procs:
                ps.stop_process(proc)
        print(f"[ingest-pool] whole module: {time.monotonic() - t0:.1f}s")
        yield result


def _rows(sql: str, **params: Any) -> list[Any]:
    from hirehound.storage import db

    with db.transaction() as session:
        return list(session.execute(text(sql), params).all())


# --- the tests ---------------------------------------------------------------------------------


def test_children_ran_on_both_workers(imported: Import) -> None:
    assert imported.parent.state.type.value == "COMPLETED", imported.parent.state
    states = Counter(c.state for c in imported.children)
    assert states == {"COMPLETED": len(imported.children) - 1, "CANCELLED": 1}, states
    assert len(imported.children) == (N_FILES * PER_FILE - POOL_THRESHOLD) // (
        CHUNK * CHUNKS_PER_RUN)
    took = Counter(c.worker for c in imported.children if c.state == "COMPLETED")
    print(f"[ingest-pool] completed child runs per worker: {dict(took)}")
    assert set(took) == set(imported.workers), took
    # Each child carries a group of chunks, never one.
    assert all(len(c.ids) == CHUNK * CHUNKS_PER_RUN for c in imported.children)


def test_every_posting_is_published_once_or_dead_lettered(imported: Import) -> None:
    total = N_FILES * PER_FILE
    child_ids = [i for c in imported.children for i in c.ids]
    assert len(child_ids) == len(set(child_ids)) == total - POOL_THRESHOLD  # disjoint groups
    # Every posting was stored raw; its `postings` row appears with its first step.
    rows = {r.id: r for r in _rows(
        "select r.id, p.step, p.status, p.published_at, p.updated_at from raw_postings r "
        "left join postings p on p.id = r.id")}
    assert len(rows) == total
    assert set(child_ids) <= set(rows)
    letters = _rows("select posting_id, step, error_type, detail, flow_run_id from dead_letters")
    process = {d.posting_id: d for d in letters if d.step == "process"}
    published = {i for i, r in rows.items() if r.step == "publish"}
    # Published exactly once: publishing sets updated_at; a second time would move it on.
    assert all(rows[i].published_at == rows[i].updated_at for i in published)
    assert all(rows[i].status in ("active", "held") for i in published)
    assert not published & set(process)
    # Nothing lost: every posting is published or dead-lettered.
    other = {d.posting_id for d in letters if d.step != "process"}
    assert published | set(process) | other == set(rows), len(
        set(rows) - published - set(process) - other)
    # The cancelled child's postings not published are the "process" letters, naming it.
    [cancelled] = [c for c in imported.children if c.name == imported.cancelled]
    assert set(process) == set(cancelled.ids) - published
    assert process, "the cancelled child had nothing left to dead-letter"
    for d in process.values():
        assert d.error_type == "ChildRunCancelled" and cancelled.name in d.detail
        assert d.flow_run_id == str(cancelled.id)


def test_parent_counts_are_the_sum(imported: Import) -> None:
    parent = imported.parent_counts
    done = [c for c in imported.children if c.state == "COMPLETED"]
    assert all(c.counts for c in done), [c.name for c in done if not c.counts]
    summed: Counter[str] = Counter()
    for c in done:
        summed.update({k: v for k, v in c.counts.items() if isinstance(v, int)})
    here = POOL_THRESHOLD  # the first two files, processed by the parent itself
    assert parent["read"] == N_FILES * PER_FILE
    assert parent["children"] == len(imported.children)
    assert parent["children_failed"] == 1
    assert parent["postings_to_children"] == N_FILES * PER_FILE - here
    assert parent["processed"] == here + summed["processed"]
    assert parent["chunks"] == here // CHUNK + summed["chunks"]
    published_db = _rows("select count(*) as n from postings where step = 'publish'")[0].n
    process_db = _rows("select count(*) as n from dead_letters where step = 'process'")[0].n
    assert parent["published"] == published_db
    assert parent["dead_letters_process"] == process_db
    for key in ("dedup_unique", "dedup_possible", "dedup_exact"):
        assert parent.get(key, 0) >= summed.get(key, 0)


def test_dead_letters_cli_lists_the_cancelled_childs_postings(
    imported: Import, capsys: pytest.CaptureFixture[str]
) -> None:
    from hirehound.cli import main

    assert main(["dead-letters", "--step", "process", "--limit", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    # Two lines a letter: what failed (the posting and its source key), then the error.
    assert len(out) == 10, out
    for what, error in zip(out[::2], out[1::2], strict=True):
        assert " process " in what and "poolboard:job-" in what, what
        assert error.strip().startswith(f"ChildRunCancelled: child run {imported.cancelled}")
