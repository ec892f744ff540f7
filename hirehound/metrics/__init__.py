"""Prometheus exporter: the seed's job metrics and the operator's figures, read at scrape time.

    hirehound metrics serve --port 9108   ->  GET /metrics

Workers write one `stage_runs` row per chunk stage or task holding a concern (with their
rate-limit tallies and process resources); the exporter aggregates those rows, the corpus
tables and the Prefect API on each scrape, so every worker's work counts and the exporter
holds no state of its own.
"""

from hirehound.metrics._collector import HirehoundCollector, breaker_states, serve
from hirehound.metrics._records import (
    StageRun,
    flush_tallies,
    record_stage,
    roll_up,
    tally_limit,
)

__all__ = ["HirehoundCollector", "StageRun", "breaker_states", "flush_tallies", "record_stage",
           "roll_up", "serve", "tally_limit"]
