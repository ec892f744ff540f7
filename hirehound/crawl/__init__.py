"""Continuous crawling, the core half: the source registry, the schedule, one board's crawl.

`tasks/crawl.py` wraps these in Prefect tasks; `flows/crawl.py` claims due sources and fans
them out over the work pool. Nothing here imports Prefect.
"""

from __future__ import annotations

from hirehound.crawl._board import (
    BoardFetch,
    StoredBoard,
    fetch_board,
    listed_payloads,
    resolve,
    store_board,
)
from hirehound.crawl._listings import DEFAULT_CLOSE_AFTER, ListingChange, record_listing
from hirehound.crawl._politeness import host_key, reserve
from hirehound.crawl._registry import (
    DEFAULT_EVERY_S,
    DEFAULT_MIN_INTERVAL_S,
    SHIPPED_BOARDS,
    ImportReport,
    SourceSpec,
    add_source,
    describe_target,
    import_sources,
    list_sources,
    parse_every,
    read_source_rows,
    resolve_names,
    set_enabled,
)
from hirehound.crawl._schedule import (
    DEFAULT_MAX_FAILURES,
    CrawlResult,
    SourceSnapshot,
    claim,
    record_failure,
    record_success,
    release,
    snapshots,
)

__all__ = [
    "DEFAULT_CLOSE_AFTER",
    "DEFAULT_EVERY_S",
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_MIN_INTERVAL_S",
    "SHIPPED_BOARDS",
    "BoardFetch",
    "CrawlResult",
    "ImportReport",
    "ListingChange",
    "SourceSnapshot",
    "SourceSpec",
    "StoredBoard",
    "add_source",
    "claim",
    "describe_target",
    "fetch_board",
    "host_key",
    "import_sources",
    "list_sources",
    "listed_payloads",
    "parse_every",
    "read_source_rows",
    "record_failure",
    "record_listing",
    "record_success",
    "release",
    "reserve",
    "resolve",
    "resolve_names",
    "set_enabled",
    "snapshots",
    "store_board",
]
