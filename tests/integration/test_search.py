"""Search reads `search_documents.searchable` (migration 0011): the flag must always equal
"active and canonical of its cluster", whoever changes a posting, and the keyword half must
return what the join it replaced returned. It ranks on `search_ranks` (migration 0012): each
rank vector is the beginning of its document, and a broad query ranks its newest matches only."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hirehound.search._query import KEYWORD_SQL as _FLAGGED
from hirehound.search._query import RANKED_MATCHES, index_scans
from hirehound.settings import Settings
from hirehound.storage import db
from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]

# The keyword half before 0011: matches joined to postings and clusters, filtered there
# (ordered by id among equal ranks, as the new one is, to compare deterministically), ranked
# as 0012 ranks them: the newest :ranked matches, on their rank vectors.
_JOINED = """
    select p.id, ts_rank_cd(r.rank_vector, q) as rank
    from search_documents d
    join search_ranks r on r.posting_id = d.posting_id
    join postings p on p.id = d.posting_id
    join duplicate_clusters c on c.id = p.cluster_id and c.canonical_posting_id = p.id,
         websearch_to_tsquery('english', :q) q
    where p.status = 'active' and d.document @@ q
      and p.id in (select p2.id from postings p2 join search_documents d2 on d2.posting_id = p2.id
                   join duplicate_clusters c2 on c2.id = p2.cluster_id
                        and c2.canonical_posting_id = p2.id
                   where p2.status = 'active' and d2.document @@ q
                   order by p2.id desc limit :ranked)
    order by rank desc, p.id limit :pool
"""
_STALE = """
    select d.posting_id, d.searchable from search_documents d
    where d.searchable is distinct from search_searchable(d.posting_id)
"""
_FIXED_QUERIES = ["engineer", "software engineer", "data", "product manager", "python",
                  "sales", "senior backend engineer", "marketing", "design", "remote"]


def _benchmark_queries() -> list[str]:
    """The latency benchmark's own queries (they need O*NET files from ../shared/data)."""
    if not (SHARED_DATA / "skills").exists():
        return []
    spec = importlib.util.spec_from_file_location(
        "search_latency", ROOT / "benchmarks" / "search_latency.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return list(module.queries(300))


@pytest.fixture(scope="module")
def corpus(database_settings: Settings, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Settings]:
    """The bundled demo postings ingested without Prefect, then mixed up: some closed, held or
    expired, some clusters given another canonical, some postings moved between clusters."""
    import os

    from hirehound.storage.models import Base

    db.configure(database_settings)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as s:
        s.execute(text(f"truncate {tables} restart identity cascade"))
    saved = {k: os.environ.get(k) for k in
             ("HIREHOUND_EMBEDDING_PROVIDER", "HIREHOUND_CPU_WORKERS", "HIREHOUND_HOME")}
    os.environ.update(HIREHOUND_EMBEDDING_PROVIDER="hashing", HIREHOUND_CPU_WORKERS="0",
                      HIREHOUND_HOME=str(tmp_path_factory.mktemp("search-home")))
    try:
        import flows.ingest as fi
        from hirehound.sources import demo_targets

        fi.run_direct([str(p) for _, p in demo_targets()])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    db.configure(database_settings)
    with db.transaction() as s:
        searchable = s.execute(text(
            "select count(*) from search_documents where searchable")).scalar_one()
        assert searchable > 30, "the demo ingest left too little to search"
        assert s.execute(text(_STALE)).all() == []
        # Every writer changes the same three columns; do it the ways they do it, in bulk.
        s.execute(text("update postings set status = 'closed' where id % 7 = 0"))
        s.execute(text("update postings set status = 'held' where id % 11 = 0"))
        s.execute(text("update postings set status = 'expired' where id % 13 = 0"))
        s.execute(text(
            "update duplicate_clusters c set canonical_posting_id = m.other "
            "from (select cluster_id, max(id) as other from postings "
            "      where cluster_id is not null group by cluster_id having count(*) > 1) m "
            "where c.id = m.cluster_id and c.id % 2 = 0"))
        s.execute(text(
            "update postings set cluster_id = (select min(id) from duplicate_clusters) "
            "where id % 17 = 0"))
    yield database_settings


def test_the_flag_follows_status_cluster_and_canonical(corpus: Settings) -> None:
    with db.transaction() as s:
        assert s.execute(text(_STALE)).all() == []
        flagged = s.execute(text(
            "select count(*) from search_documents where searchable")).scalar_one()
        wanted = s.execute(text(
            "select count(*) from search_documents d join postings p on p.id = d.posting_id "
            "join duplicate_clusters c on c.id = p.cluster_id "
            "and c.canonical_posting_id = p.id where p.status = 'active'")).scalar_one()
        assert flagged == wanted > 0
        # And back: reopening every posting makes every canonical one searchable again.
        s.execute(text("update postings set status = 'active'"))
        assert s.execute(text(_STALE)).all() == []
        s.rollback()


def test_reindexing_keeps_the_flag(corpus: Settings) -> None:
    from hirehound.search import index_postings

    with db.transaction() as s:
        ids = list(s.scalars(text("select posting_id from search_documents order by 1")))
        index_postings(s, ids)
        assert s.execute(text(_STALE)).all() == []
        s.rollback()


def test_keyword_half_returns_what_the_join_returned(corpus: Settings) -> None:
    """Same postings, same ranks, same order: for fixed queries and, when the O*NET files are
    there, the 300 queries of benchmarks/search_latency.py."""
    queries = _FIXED_QUERIES + _benchmark_queries()
    matched = 0
    with db.transaction() as s:
        for q in queries:
            args = {"q": q, "pool": 50, "ranked": RANKED_MATCHES}
            before = [tuple(r) for r in s.execute(text(_JOINED), args)]
            with index_scans(s):
                after = [tuple(r) for r in s.execute(text(_FLAGGED), args)]
            assert after == before, q
            matched += bool(after)
    assert matched >= len(_FIXED_QUERIES) // 2


def test_a_broad_query_ranks_its_newest_matches_only(corpus: Settings) -> None:
    """Past RANKED_MATCHES matches (a few here), a query ranks the newest ones by their rank
    vectors; below it, every match is ranked, as the unbounded query ranks them."""
    with db.transaction() as s:
        matches = list(s.scalars(text(
            "select d.posting_id from search_documents d, websearch_to_tsquery('english', :q) q "
            "where d.searchable and d.document @@ q order by 1 desc"), {"q": "engineer"}))
        assert len(matches) > 10
        ranked = {r.id: r.rank for r in s.execute(
            text(_FLAGGED), {"q": "engineer", "pool": 50, "ranked": 5})}
        assert set(ranked) == set(matches[:5])
        assert list(ranked.values()) == sorted(ranked.values(), reverse=True)
        everything = {r.id: r.rank for r in s.execute(
            text(_FLAGGED), {"q": "engineer", "pool": len(matches), "ranked": len(matches)})}
        assert set(everything) == set(matches)
        assert all(everything[i] == rank for i, rank in ranked.items())


def test_rank_vectors_are_their_documents_beginnings(corpus: Settings) -> None:
    """Every word position of a rank vector is in its document, with the same weight; the rank
    vector holds the title's words and is smaller than its document when the text is long."""
    entries = """
        select v.posting_id, u.lexeme, p.pos, w.weight
        from {table} v, unnest(v.{column}) u, unnest(u.positions) with ordinality p(pos, k),
             unnest(u.weights) with ordinality w(weight, j)
        where p.k = w.j
    """
    with db.transaction() as s:
        missing = s.execute(text(
            f"select count(*) from ({entries.format(table='search_ranks', column='rank_vector')}"
            f" except {entries.format(table='search_documents', column='document')}) x"
        )).scalar_one()
        assert missing == 0
        total, smaller, untitled = s.execute(text(
            "select count(*), count(*) filter (where length(r.rank_vector) < length(d.document)),"
            " count(*) filter (where length(ts_filter(r.rank_vector, '{a}')) = 0"
            "  and length(to_tsvector('english', coalesce(p.title, ''))) > 0) "
            "from search_ranks r join search_documents d using (posting_id) "
            "join postings p on p.id = r.posting_id")).one()
    assert total > 30 and smaller > total // 2 and untitled == 0


def test_a_word_deep_in_the_description_matches_but_ranks_last(corpus: Settings) -> None:
    from hirehound.search import index_postings
    from hirehound.search._index import RANK_CHARS

    with db.transaction() as s:
        deep, early = s.scalars(text(
            "select posting_id from search_documents where searchable order by 1 limit 2"))
        s.execute(text(
            "update postings set title = 'Office clerk', description_text = :t where id = :i"),
            {"t": "Filing. " * (RANK_CHARS // 8 + 10) + "Zanzibarian", "i": deep})
        s.execute(text(
            "update postings set title = 'Zanzibarian office clerk' where id = :i"), {"i": early})
        index_postings(s, [deep, early])
        with index_scans(s):
            hits = s.execute(text(_FLAGGED), {"q": "zanzibarian", "pool": 50,
                                              "ranked": RANKED_MATCHES}).all()
        s.rollback()
    assert [h.id for h in hits] == [early, deep]
    assert hits[0].rank > 0 and hits[1].rank == 0


def test_search_shows_only_searchable_postings(corpus: Settings) -> None:
    from hirehound.search import search

    with db.transaction() as s:
        hits = search(s, "engineer", limit=50)
        assert hits
        shown = [h.posting_id for h in hits]
        rows = s.execute(text(
            "select p.id, p.status, c.canonical_posting_id from postings p "
            "join duplicate_clusters c on c.id = p.cluster_id where p.id = any(:ids)"),
            {"ids": shown}).all()
    assert len(rows) == len(shown)
    assert all(r.status == "active" and r.canonical_posting_id == r.id for r in rows)
    assert len({h.cluster_id for h in hits}) == len(hits)


def test_the_keyword_half_is_one_index_scan(corpus: Settings) -> None:
    """Even when the planner would test every document instead (index_scans says why)."""
    with db.transaction() as s:
        with index_scans(s):
            plan = "\n".join(r[0] for r in s.execute(
                text("explain " + _FLAGGED),
                {"q": "software engineer", "pool": 50, "ranked": RANKED_MATCHES}))
        assert s.execute(text("show enable_seqscan")).scalar_one() == "on"  # put back
    assert "ix_search_documents_searchable" in plan
    assert "postings" not in plan and "duplicate_clusters" not in plan
    assert "Seq Scan on search_documents" not in plan


def test_reindexing_writes_the_same_rank_vectors(corpus: Settings) -> None:
    from hirehound.search import index_postings

    with db.transaction() as s:
        before = s.execute(text("select * from search_ranks order by 1")).all()
        index_postings(s, [r.posting_id for r in before])
        assert s.execute(text("select * from search_ranks order by 1")).all() == before
        s.rollback()
