"""Prometheus exporter: corpus counts from PostgreSQL and flow-run states from the Prefect API.

    hirehound metrics serve --port 9108   ->  GET /metrics

Counts are read at scrape time (a few indexed `count(*)`s and one small request per state
type), so the numbers are never stale and the exporter holds no state.
"""

from hirehound.metrics._collector import HirehoundCollector, serve

__all__ = ["HirehoundCollector", "serve"]
