"""The exporter, the dashboard and the alert rules against a real Prometheus during a real
bulk import on a real pool: a `prefect server` (ports 4300-4399, the upper half of
HIREHOUND_TEST_PORTS), `hirehound setup`, the `ingest-import` and `process-postings`
deployments, two process workers on `processing`, the exporter in this process and Debian's
`prometheus` scraping it every 3 seconds (ports 4900-4999).

The import runs once for the module (~2 minutes on 2 cores): N_FILES files of PER_FILE
postings plus one record that is not a posting (a dead letter), the first file in the parent
run and the rest in child runs of two chunks each, spread over both workers. The tests then
ask Prometheus for every panel's query of deployments/observability/grafana-dashboard.json
and check the figures against the database and the Prefect API.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hirehound.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deployments" / "observability"
N_FILES = 4
PER_FILE = 300
CHUNK = 150
CHUNKS_PER_RUN = 2
POOL_THRESHOLD = PER_FILE
PARENT = "ingest-postings/ingest-import"
WORKERS = ["metrics-1", "metrics-2"]
TIMEOUT_S = 180.0
BREAKER_SERVICE = "metrics-test-service"


def _prometheus_bin() -> tuple[str, str]:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not prometheus or not promtool:
        pytest.skip("Prometheus is not installed (Debian: apt-get install -y prometheus; "
                    ".ci/run installs it)")
    return prometheus, promtool


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, query) of every target of the dashboard."""
    dash = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    return [(p["title"], t["expr"]) for p in dash["panels"] if p.get("type") != "row"
            for t in p.get("targets", [])]


@dataclass
class Run:
    prometheus: str  # base URL
    exporter: str
    parent_state: str
    counts: dict[str, Any]
    stdout_prom: Path


def _write_files(folder: Path) -> list[str]:
    from tests.integration.test_ingest_pool import _posting

    rng = random.Random(11)
    companies = [f"Metric Co {i} Inc." for i in range(60)]
    paths = []
    for f in range(N_FILES):
        path = folder / f"part-{f}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            for i in range(f * PER_FILE, (f + 1) * PER_FILE):
                fh.write(json.dumps(_posting(rng, i, companies)) + "\n")
            if f == 0:  # a record that is not a posting: a parse dead letter
                fh.write(json.dumps({"source": "poolboard", "title": ""}) + "\n")
        paths.append(str(path))
    return paths


def _start_prometheus(home: Path, exporter_port: int) -> tuple[subprocess.Popen[bytes], str]:
    from tests.support.prefect_server import free_port

    prometheus, _ = _prometheus_bin()
    port = free_port(4900, 4989)
    config = home / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 3s, evaluation_interval: 3s}\n"
        f"rule_files: ['{OBSERVABILITY / 'alerts.yml'}']\n"
        "scrape_configs:\n"
        "  - job_name: hirehound\n"
        # A scrape asks the Prefect API ~15 questions: on 2 busy cores it can take seconds.
        "    scrape_interval: 3s\n"
        "    scrape_timeout: 3s\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    log = (home / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={home / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError((home / "prometheus.log").read_text()[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/-/ready", timeout=2).status_code == 200:
                return proc, base
        if time.monotonic() > deadline:
            raise RuntimeError("prometheus did not start in 60 s")
        time.sleep(0.3)


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    body = resp.json()
    assert body.get("status") == "success", (expr, body)
    return list(body["data"]["result"])


def _value(prometheus: str, expr: str) -> float:
    result = query(prometheus, expr)
    assert len(result) == 1, (expr, result)
    return float(result[0]["value"][1])


@pytest.fixture(scope="module")
def run(database_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    from deployments.setup import SetupConfig, setup
    from hirehound.metrics import serve
    from hirehound.storage import db
    from hirehound.storage.models import Base
    from tests.integration.test_ingest_pool import _artifact_counts, _wait_online
    from tests.support import prefect_server as ps

    _prometheus_bin()
    db.configure(database_settings)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as session:
        session.execute(text(f"truncate {tables} restart identity cascade"))
        # A breaker the enrichment flows would have created: its panel has a series.
        session.execute(text("insert into circuit_breakers (service) values (:s)"),
                        {"s": BREAKER_SERVICE})
    home = tmp_path_factory.mktemp("metrics-pool")
    files = _write_files(tmp_path_factory.mktemp("metrics-pool-files"))
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        # The upper half of the test ports (4300-4399): other test servers of this machine
        # take the lower one.
        server = stack.enter_context(ps.start_server(home, ports=ps.port_range(upper=True)))
        setup(config=SetupConfig(database_url=os.environ["HIREHOUND_DATABASE_URL"],
                                 heartbeat_s=ps.HEARTBEAT_S, stuck_after_s=2 * ps.HEARTBEAT_S))
        ps.deploy(server, "-n", "ingest-import", "-n", "process-postings")
        exporter_port = ps.free_port(4990, 4999)
        exporter = serve(exporter_port, settings=database_settings,
                         prefect_api_url=server.api, host="127.0.0.1", block=False)
        stack.callback(exporter.shutdown)
        prom, prom_url = _start_prometheus(home, exporter_port)
        stack.callback(ps.stop_process, prom)
        env = {"HIREHOUND_EMBEDDING_PROVIDER": "hashing", "HIREHOUND_CPU_WORKERS": "0"}
        procs = [ps.start_worker(server, ("processing",), n, limit=2, env=env) for n in WORKERS]
        for proc in procs:
            stack.callback(ps.stop_process, proc)
        _wait_online(WORKERS)
        print(f"\n[metrics] server, setup, deploy, exporter, prometheus, workers: "
              f"{time.monotonic() - t0:.1f}s")
        parent_id = ps.submit(PARENT, targets=files, chunk_size=CHUNK,
                              pool_threshold=POOL_THRESHOLD, chunks_per_run=CHUNKS_PER_RUN).id
        parent = ps.wait_for_run(parent_id, until=ps.DONE, timeout=TIMEOUT_S)
        counts = _artifact_counts(parent_id, "ingest-summary")
        print(f"[metrics] import: {time.monotonic() - t0:.1f}s, {parent.state.type.value}, "
              f"{counts}")
        time.sleep(9)  # a few scrapes after the last stage row
        took = query(prom_url, 'max_over_time(scrape_duration_seconds{job="hirehound"}[10m])')
        up = query(prom_url, 'avg_over_time(up{job="hirehound"}[10m])')
        parts = query(prom_url, "max by (backend) (max_over_time("
                      "hirehound_scrape_part_duration_seconds[10m]))")
        print(f"[metrics] slowest scrape: {took[0]['value'][1] if took else '?'} s, "
              f"share of scrapes that answered: {up[0]['value'][1] if up else '?'}, slowest "
              f"parts: { {p['metric']['backend']: p['value'][1][:5] for p in parts} }")
        yield Run(prom_url, f"http://127.0.0.1:{exporter_port}/metrics",
                  parent.state.type.value, counts, home / "prometheus.log")


def test_the_import_ran_on_both_workers(run: Run) -> None:
    assert run.parent_state == "COMPLETED", run.counts
    workers = {r["metric"]["worker"] for r in query(
        run.prometheus, "sum by (worker) (hirehound_jobs_processed_total) > 0")}
    assert set(WORKERS) <= workers, workers


def test_every_dashboard_panel_query_returns_a_series(run: Run) -> None:
    empty = [(title, expr) for title, expr in dashboard_queries()
             if not query(run.prometheus, expr)]
    assert not empty, empty


def test_figures_add_up_over_the_pool(run: Run) -> None:
    from hirehound.metrics._collector import WORKFLOW_TTL_S
    from hirehound.storage import db

    with db.transaction() as session:
        raw = session.execute(text("select count(*) from raw_postings")).scalar_one()
        stages = session.execute(text("select count(*) from stage_runs")).scalar_one()
    # Every stored posting went into the first stage once, in the parent or a child.
    assert _value(run.prometheus, 'sum(hirehound_stage_postings_total{stage="prepare_and_check",'
                  'direction="in"})') == raw == N_FILES * PER_FILE
    assert _value(run.prometheus, "sum(hirehound_jobs_processed_total)") == stages
    # Per step: every posting the fetch stored came out of it, and went through the first
    # stage once, passed on or dropped (the bad record never became a posting).
    assert _value(run.prometheus, 'sum(hirehound_postings_processed_total{'
                  'step="fetch_and_store",status="completed"})') == raw
    assert _value(run.prometheus, 'sum(hirehound_postings_processed_total{'
                  'step="prepare_and_check"})') == raw
    # The same count of first stages as Prefect recorded task runs, whichever worker ran them.
    with httpx.Client() as client:
        api = _api_url()
        prefect_n = client.post(f"{api}/task_runs/count", json={"task_runs": {"name": {
            "like_": "prepare_and_check"}, "state": {"type": {"any_": ["COMPLETED"]}}}}).json()
    assert _value(run.prometheus, 'sum(hirehound_jobs_processed_total{queue="processing",'
                  'status="completed"})') == prefect_n == N_FILES * PER_FILE // CHUNK
    assert _value(run.prometheus, 'sum(hirehound_job_duration_seconds_count)') == stages
    # Stage slots were taken from the global limits `setup` created.
    assert _value(run.prometheus, 'hirehound_rate_limit_acquired_total{limit="processing"}') \
        == prefect_n
    assert _value(run.prometheus, 'sum(hirehound_dead_letters_unresolved{step="parse"})') == 1
    for worker in WORKERS:
        assert _value(run.prometheus, f'hirehound_worker_memory_bytes{{worker="{worker}"}}') > 0
    # Per-deployment counts are cached for WORKFLOW_TTL_S: the parent's end shows within that.
    expected = {"ingest-postings/ingest-import", "process-postings/process-postings"}
    deadline = time.monotonic() + WORKFLOW_TTL_S + 10
    while True:
        runs = query(run.prometheus,
                     'hirehound_workflow_executions_total{status="completed"} > 0')
        names = {r["metric"]["workflow_name"] for r in runs}
        if names == expected or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert names == expected
    assert query(run.prometheus, 'hirehound_queue_length{queue="processing",state="late"}')


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def test_alert_rules_load(run: Run) -> None:
    _, promtool = _prometheus_bin()
    checked = subprocess.run([promtool, "check", "rules", str(OBSERVABILITY / "alerts.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    checked = subprocess.run([promtool, "check", "config",
                              str(OBSERVABILITY / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    groups = httpx.get(f"{run.prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) >= 8
    assert all(r["health"] in ("ok", "unknown") for r in rules), [
        (r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
