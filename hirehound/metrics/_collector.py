"""The collector behind `/metrics` (no Prefect import: the Prefect REST API is plain HTTP)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from hirehound.settings import Settings

log = logging.getLogger(__name__)

FLOW_RUN_STATES = (
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
    "PAUSED",
    "CANCELLING",
)


class HirehoundCollector(Collector):
    """Collect on every scrape; a failing backend becomes `hirehound_scrape_ok{backend}=0`."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        prefect_api_url: str | None = None,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self._engine = engine
        self._api = prefect_api_url.rstrip("/") if prefect_api_url else None
        self._http = http or httpx.Client(timeout=5.0)

    def collect(self) -> Iterator[Any]:
        ok = GaugeMetricFamily(
            "hirehound_scrape_ok", "1 when the backend answered this scrape", labels=["backend"]
        )
        started = time.perf_counter()
        try:
            yield from self._database()
            ok.add_metric(["database"], 1)
        except Exception as exc:  # a scrape must still answer: report the failure as a metric
            log.warning("metrics: database unavailable: %s", exc)
            ok.add_metric(["database"], 0)
        if self._api:
            try:
                yield self._flow_runs()
                ok.add_metric(["prefect"], 1)
            except Exception as exc:
                log.warning("metrics: Prefect API unavailable: %s", exc)
                ok.add_metric(["prefect"], 0)
        yield ok
        duration = GaugeMetricFamily(
            "hirehound_scrape_duration_seconds", "Time spent collecting this scrape"
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration

    def _database(self) -> Iterator[GaugeMetricFamily]:
        with self._engine().connect() as conn:
            postings = GaugeMetricFamily(
                "hirehound_postings", "Postings by lifecycle status", labels=["status"]
            )
            for status, n in conn.execute(
                text("select status, count(*) from postings group by status")
            ):
                postings.add_metric([status], n)
            dead = GaugeMetricFamily(
                "hirehound_dead_letters_unresolved",
                "Dead letters not yet resolved, by pipeline step",
                labels=["step"],
            )
            for step, n in conn.execute(
                text(
                    "select step, count(*) from dead_letters where resolved_at is null "
                    "group by step"
                )
            ):
                dead.add_metric([step], n)
            clusters = GaugeMetricFamily(
                "hirehound_duplicate_clusters", "Duplicate clusters by kind", labels=["kind"]
            )
            total, multi = conn.execute(
                text("select count(*), count(*) filter (where size > 1) from duplicate_clusters")
            ).one()
            clusters.add_metric(["all"], total)
            clusters.add_metric(["with_duplicates"], multi)
            orgs = GaugeMetricFamily(
                "hirehound_organizations", "Organizations (not merged away)", labels=["enriched"]
            )
            enriched, plain = conn.execute(
                text(
                    "select count(*) filter (where enriched_at is not null), "
                    "count(*) filter (where enriched_at is null) "
                    "from organizations where merged_into_id is null"
                )
            ).one()
            orgs.add_metric(["true"], enriched)
            orgs.add_metric(["false"], plain)
        yield from (postings, dead, clusters, orgs)

    def _flow_runs(self) -> GaugeMetricFamily:
        runs = GaugeMetricFamily(
            "hirehound_flow_runs",
            "Flow runs kept by the Prefect server, by state type (old runs are pruned daily)",
            labels=["state"],
        )
        for state in FLOW_RUN_STATES:
            resp = self._http.post(
                f"{self._api}/flow_runs/count",
                json={"flow_runs": {"state": {"type": {"any_": [state]}}}},
            )
            resp.raise_for_status()
            runs.add_metric([state.lower()], int(resp.json()))
        return runs


def serve(
    port: int = 9108,
    *,
    settings: Settings,
    prefect_api_url: str | None,
    host: str = "0.0.0.0",
    block: bool = True,
) -> Any:
    """Serve `/metrics` on `host:port`; blocks unless `block=False` (then returns the server)."""
    from prometheus_client import REGISTRY, start_http_server

    from hirehound.storage import db

    db.configure(settings)
    REGISTRY.register(HirehoundCollector(db.engine, prefect_api_url))
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    if not block:
        return server
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return server
