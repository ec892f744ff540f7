"""Per-host politeness shared by every worker: a minimum interval between requests to a host.

The next allowed start per host lives in PostgreSQL (`crawl_hosts`); reserving a slot is one
upsert that moves it forward, so workers on different machines queue up behind each other
instead of each keeping its own clock.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import Engine


def host_key(url: str) -> str:
    """`host[:port]` of a URL, lower-cased: the unit politeness counts in."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def reserve(engine: Engine, url: str, min_interval_s: float) -> float:
    """Reserve the next request slot for the URL's host; returns seconds to wait before it.

    Committed at once (its own transaction), so the reservation holds while the caller sleeps.
    """
    if min_interval_s <= 0:
        return 0.0
    with engine.begin() as conn:
        wait = conn.execute(
            text(
                "insert into crawl_hosts as h (host, next_at) "
                "values (:host, clock_timestamp() + make_interval(secs => :gap)) "
                "on conflict (host) do update set next_at = "
                "  greatest(h.next_at, clock_timestamp()) + make_interval(secs => :gap) "
                "returning extract(epoch from "
                "  (next_at - make_interval(secs => :gap)) - clock_timestamp())"
            ),
            {"host": host_key(url), "gap": float(min_interval_s)},
        ).scalar_one()
    return max(0.0, float(wait))
