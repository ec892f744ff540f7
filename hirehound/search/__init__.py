"""Search over published postings: one hit per duplicate cluster (its canonical posting).

Full text (weighted tsvector: title A, company and skills B, text C; matched on the whole
document, ranked on its beginning, a broad query's newest matches only: `_query.KEYWORD_SQL`)
and vector similarity (HNSW over one vector per cluster) are fused by reciprocal rank.
"""

from __future__ import annotations

from hirehound.search._index import index_postings
from hirehound.search._query import SearchHit, format_hits, search

__all__ = ["SearchHit", "format_hits", "index_postings", "search"]
