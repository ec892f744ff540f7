from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

# Reciprocal-rank-fusion constant (Cormack et al. 2009): damps the top ranks' dominance.
RRF_K = 60
# A keyword query ranks at most this many of its matches, the newest (see KEYWORD_SQL).
RANKED_MATCHES = 1000

# Keyword half. What a job seeker gets, and why it is cheap at 100k postings:
# - What matches: the full document (title, company, skills, description), through the partial
#   GIN index of searchable documents (active and canonical of their cluster: migration 0011).
# - What ranks: `ts_rank_cd` on the match's rank vector (`search_ranks`, migration 0012): its
#   title, company, skills and the description's first ~100 words, in the row. The title and
#   the opening say what the job is; a word that only appears deep in the description (benefits,
#   boilerplate, "reports to the business manager") still finds the posting but does not lift
#   it. Ranking the full documents read ~4.6 kB of TOAST a match: 0.3-0.4 s for 50k matches.
# - How many are ranked: a query matching more than RANKED_MATCHES postings (a broad one:
#   "business manager", "react", "go") ranks its RANKED_MATCHES newest (highest id: first seen
#   last); the older ones are not shown for it, a narrower query finds them. Freshness is what
#   job search defaults to; ranking K postings costs K pk lookups, however broad the query.
#   Queries with fewer matches rank them all: the bound does not change their results.
# Equal ranks go by id.
KEYWORD_SQL = """
    with matches as materialized (
        select d.posting_id from search_documents d, websearch_to_tsquery('english', :q) q
        where d.searchable and d.document @@ q),
    newest as (select posting_id from matches order by posting_id desc limit :ranked)
    select n.posting_id as id,
           coalesce((select ts_rank_cd(r.rank_vector, q) from search_ranks r
                     where r.posting_id = n.posting_id), 0) as rank
    from newest n, websearch_to_tsquery('english', :q) q
    order by rank desc, n.posting_id limit :pool
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


@contextmanager
def index_scans(session: Session) -> Iterator[None]:
    """Plan the keyword half with its GIN index, whatever the planner estimates.

    The planner does not cost reading TOASTed documents: for a query matching ~half of the
    corpus ("engineer": 66k of 100k) it prefers a sequential scan that tests every document
    (3.7 s) to the index (under 0.1 s). Set for this transaction only and put back after the
    block; after an error, the transaction's end puts it back (a failed transaction takes no
    more statements, and a second error would hide the first)."""
    before = session.execute(text(
        "select current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
    )).scalar_one()
    yield
    session.execute(text("select set_config('enable_seqscan', :v, true)"), {"v": before})


def search(
    session: Session,
    query: str,
    *,
    limit: int = 10,
    query_vector: np.ndarray | None = None,
) -> list[SearchHit]:
    """Active canonical postings matching `query`, best first: keyword and vector halves fused
    by reciprocal rank. The keyword half ranks on the matches' titles, skills and openings, and
    a broad query ranks only its RANKED_MATCHES newest matches (KEYWORD_SQL says why)."""
    if not query.strip():
        raise ValueError("search needs a non-empty query")
    pool = max(limit * 5, 50)
    with index_scans(session):
        fts = session.execute(
            text(KEYWORD_SQL), {"q": query, "pool": pool, "ranked": RANKED_MATCHES}).all()
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
