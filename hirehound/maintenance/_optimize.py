"""Database upkeep: VACUUM ANALYZE the hot tables, rebuild invalid or bloated indexes.

VACUUM and REINDEX CONCURRENTLY cannot run inside a transaction, so this takes an engine
and uses an autocommit connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

# Tables written by every ingest run; the rest change rarely and autovacuum keeps up.
HOT_TABLES = (
    "raw_postings",
    "postings",
    "posting_embeddings",
    "posting_skills",
    "dedup_band_keys",
    "duplicate_clusters",
    "search_documents",
    "search_ranks",
    "search_vectors",
    "dead_letters",
)


@dataclass
class OptimizeResult:
    vacuumed: list[str] = field(default_factory=list)
    reindexed: list[str] = field(default_factory=list)


def optimize_database(
    engine: Engine, *, vacuum: bool = True, reindex: list[str] | None = None
) -> OptimizeResult:
    """VACUUM (ANALYZE) the hot tables and REINDEX CONCURRENTLY every invalid index (left by
    an interrupted CREATE INDEX CONCURRENTLY) plus the indexes named in `reindex`."""
    result = OptimizeResult()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        existing = {
            r[0]
            for r in conn.execute(
                text("select tablename from pg_tables where schemaname = current_schema()")
            )
        }
        if vacuum:
            for table in HOT_TABLES:
                if table in existing:
                    conn.execute(text(f'vacuum (analyze) "{table}"'))
                    result.vacuumed.append(table)
        invalid = [
            r[0]
            for r in conn.execute(
                text(
                    "select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid "
                    "join pg_namespace n on n.oid = c.relnamespace "
                    "where not i.indisvalid and n.nspname = current_schema()"
                )
            )
        ]
        known = {
            r[0]
            for r in conn.execute(
                text("select indexname from pg_indexes where schemaname = current_schema()")
            )
        }
        for name in dict.fromkeys([*invalid, *(reindex or [])]):
            if name not in known:
                log.warning("reindex: no index named %s", name)
                continue
            conn.execute(text(f'reindex index concurrently "{name}"'))
            result.reindexed.append(name)
    log.info("vacuumed %d tables, reindexed %s", len(result.vacuumed), result.reindexed or "none")
    return result
