"""`hirehound demo`: ingest the bundled sample through the real flow and show the outcome."""

from __future__ import annotations

import time

from sqlalchemy import text


def run_demo(query: str = "senior software engineer") -> int:
    """Run the ingestion flow on the demo sample, print a summary and one search."""
    from flows.ingest import ingest_postings
    from hirehound.embeddings import get_embedder
    from hirehound.search import search
    from hirehound.sources import demo_targets
    from hirehound.storage import db

    targets = demo_targets()
    print(f"Ingesting {len(targets)} bundled files of real postings "
          f"({', '.join(sorted({k for k, _ in targets}))}) through the ingest-postings flow...")
    started = time.perf_counter()
    # One flow run; each file's kind is detected from its content.
    counts = ingest_postings(targets=[str(path) for _, path in targets])
    elapsed = time.perf_counter() - started

    with db.transaction() as s:
        def one(sql: str) -> int:
            return int(s.execute(text(sql)).scalar() or 0)

        postings = one("select count(*) from postings")
        by_status: dict[str, int] = dict(s.execute(text(
            "select status, count(*) from postings group by status order by 2 desc")).all())
        clusters = one("select count(*) from duplicate_clusters where size > 1")
        dups = one("select count(*) from postings p join duplicate_clusters c "
                   "on c.id = p.cluster_id where c.canonical_posting_id <> p.id")
        spam = one("select count(*) from postings where is_spam")
        orgs = one("select count(*) from organizations")
        dead = one("select count(*) from dead_letters")
        top = s.execute(text(
            "select k.name, count(*) from posting_skills ps join skills k on k.id = ps.skill_id "
            "join postings p on p.id = ps.posting_id "
            "join duplicate_clusters c on c.canonical_posting_id = p.id "
            "group by k.name order by 2 desc, 1 limit 10")).all()
        vector = get_embedder(db.settings()).embed([query])[0]
        hits = search(s, query, limit=5, query_vector=vector)

    print(f"\nDone in {elapsed:.1f}s.")
    print(f"  postings stored      {postings} ({counts.get('read', 0)} records read)")
    print("  by status            " + ", ".join(f"{k} {v}" for k, v in by_status.items()))
    print(f"  duplicates           {dups} copies attached to {clusters} jobs seen more than once")
    print(f"  spam held back       {spam}")
    print(f"  organizations        {orgs}")
    print(f"  dead letters         {dead}")
    print("  top skills           " + ", ".join(f"{n} ({c})" for n, c in top))
    print(f"\nSearch: {query!r}")
    from hirehound.cli import _print_hits

    _print_hits(hits)
    print("\nNext: `hirehound search \"data engineer\"`, `hirehound export --format jsonl`, "
          "`hirehound db status`.")
    return 0
