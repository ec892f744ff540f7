from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

# Reciprocal-rank-fusion constant (Cormack et al. 2009): damps the top ranks' dominance.
RRF_K = 60

# Keyword half: searchable documents only (active and canonical of their cluster, a flag the
# database keeps: migration 0011), through their partial GIN index; equal ranks go by id.
KEYWORD_SQL = """
    select d.posting_id as id, ts_rank_cd(d.document, q) as rank
    from search_documents d, websearch_to_tsquery('english', :q) q
    where d.searchable and d.document @@ q
    order by rank desc, d.posting_id limit :pool
"""
# Vector half: the HNSW neighbours of the query among the clusters' vectors.
VECTOR_SQL = """
    select v.posting_id as id from search_vectors v
    join postings p on p.id = v.posting_id and p.status = 'active'
    order by v.embedding <=> :v limit :pool
"""


@dataclass(frozen=True, slots=True)
class SearchHit:
    posting_id: int
    cluster_id: int | None
    title: str
    company: str | None
    location: str | None
    score: float
    copies: int


def format_hits(hits: list[SearchHit]) -> str:
    """Numbered lines as `hirehound search` and the demo print them."""
    if not hits:
        return "  (no results)"
    lines = []
    for i, h in enumerate(hits, 1):
        copies = f"  [{h.copies} copies]" if h.copies > 1 else ""
        lines.append(f"  {i:>2}. {h.title} — {h.company or '?'} ({h.location or 'n/a'}){copies}")
    return "\n".join(lines)


def search(
    session: Session,
    query: str,
    *,
    limit: int = 10,
    query_vector: np.ndarray | None = None,
) -> list[SearchHit]:
    """Active canonical postings matching `query`, best first."""
    if not query.strip():
        raise ValueError("search needs a non-empty query")
    pool = max(limit * 5, 50)
    fts = session.execute(text(KEYWORD_SQL), {"q": query, "pool": pool}).all()
    ranks: dict[int, float] = {}
    for i, r in enumerate(fts):
        ranks[r.id] = ranks.get(r.id, 0.0) + 1.0 / (RRF_K + i + 1)
    if query_vector is not None:
        vec = session.execute(
            text(VECTOR_SQL), {"v": np.asarray(query_vector, dtype=np.float32), "pool": pool}
        ).all()
        for i, r in enumerate(vec):
            ranks[r.id] = ranks.get(r.id, 0.0) + 1.0 / (RRF_K + i + 1)
    best = sorted(ranks.items(), key=lambda kv: -kv[1])[:limit]
    if not best:
        return []
    rows = {
        r.id: r
        for r in session.execute(
            text(
                """
                select p.id, p.cluster_id, p.title, p.company,
                       concat_ws(', ', p.city, p.region, p.country) as location,
                       coalesce(c.size, 1) as copies
                from postings p left join duplicate_clusters c on c.id = p.cluster_id
                where p.id = any(:ids)
                """
            ),
            {"ids": [i for i, _ in best]},
        )
    }
    return [
        SearchHit(i, rows[i].cluster_id, rows[i].title, rows[i].company,
                  rows[i].location or None, s, rows[i].copies)
        for i, s in best
        if i in rows
    ]
