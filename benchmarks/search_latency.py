"""Search latency at 100k postings: `hirehound search`'s hybrid query, p50 / p95 / p99.

    .venv/bin/python benchmarks/search_latency.py                 # 100,000 postings, 300 queries
    .venv/bin/python benchmarks/search_latency.py --corpus 20000 --queries 100
    .venv/bin/python benchmarks/search_latency.py --compare       # + keyword half before 0012

Each query is what `hirehound search` does after its start-up (hirehound/cli/postings.py
`cmd_search`): embed the query with the configured embedder (WordLlama), then
`hirehound.search.search`: keyword matches from the GIN-indexed search documents, ranked on
their rank vectors (at most the 1,000 newest: hirehound/search/_query.py), and vector
neighbours from the HNSW index of search vectors, fused, one hit per duplicate cluster,
limit 10; each in its own transaction on a warm connection.

Queries (seeded): job titles from O*NET's alternate titles (four in five from the groups job
boards carry most: management, business, computing, engineering, science, health, media,
sales, office), skills from O*NET's hot technologies, and title + skill pairs, in lower case
as people type them; none is taken from the postings' texts.

Corpus: the 4,429 real Ashby postings ingested without Prefect (`run_direct`), then copied in
SQL up to --corpus (`_common.clone_corpus`: the same search documents, distinct search
vectors). Last line: `search_p50_ms=… search_p95_ms=… search_p99_ms=… explain_p95_ms=…
corpus=…`, times including the query's embedding; the search alone is printed above it.
`explain_p95_ms` is the p95 once the slowest 5% (+1) are re-timed by the server (EXPLAIN
ANALYZE of the two lookups plus the measured embedding): on a shared machine the wall-clock
tail is partly waiting for a core.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ASHBY, SHARED, clone_corpus, commit, fresh_home, require

TITLES = SHARED / "skills" / "onet_alternate_titles.txt"
TECH = SHARED / "skills" / "onet_technology_skills.txt"
# O*NET-SOC major groups people search job boards for most (management, business, computer,
# engineering, science, health, sales, office): titles from other groups are drawn less.
COMMON_GROUPS = ("11-", "13-", "15-", "17-", "19-", "27-", "29-", "41-", "43-")


def queries(n: int, seed: int = 15) -> list[str]:
    rng = random.Random(seed)
    with open(require(TITLES), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    common = [r["Alternate Title"] for r in rows if r["O*NET-SOC Code"].startswith(COMMON_GROUPS)]
    other = [r["Alternate Title"] for r in rows
             if not r["O*NET-SOC Code"].startswith(COMMON_GROUPS)]
    with open(require(TECH), encoding="utf-8") as fh:
        tech = sorted({r["Example"] for r in csv.DictReader(fh, delimiter="\t")
                       if r["Hot Technology"] == "Y" and len(r["Example"]) < 40})
    out = []
    for i in range(n):
        kind = i % 4
        title = rng.choice(common if rng.random() < 0.8 else other)
        skill = rng.choice(tech)
        out.append((title, skill, f"{title} {skill}", title)[kind].lower())
    return out


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--base", default=str(ASHBY), help="postings ingested before the copies")
    ap.add_argument("--explain", action="store_true",
                    help="print EXPLAIN ANALYZE of the slowest query's two lookups")
    ap.add_argument("--compare", action="store_true",
                    help="also time the keyword half as it was before migration 0012 against "
                         "today's, interleaved on the same database, and print the ratios")
    args = ap.parse_args()

    fresh_home("search")
    import flows.ingest as fi
    from flows._runtime import configure
    from hirehound.embeddings import get_embedder
    from hirehound.search import search
    from hirehound.storage import db

    settings = configure()
    t0 = time.perf_counter()
    fi.run_direct([str(require(Path(args.base)))])
    size = clone_corpus(args.corpus)
    print(f"corpus {size} postings in {time.perf_counter() - t0:.0f}s; commit {commit()}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    embedder = get_embedder(settings)
    qs = queries(args.queries)
    for q in qs[:10]:  # warm: the connection, the embedder, the indexes' first pages
        with db.transaction() as session:
            search(session, q, limit=10, query_vector=embedder.embed([q])[0])
    total, alone, hits = [], [], []
    for q in qs:
        t0 = time.perf_counter()
        vector = embedder.embed([q])[0]
        t1 = time.perf_counter()
        with db.transaction() as session:
            found = search(session, q, limit=10, query_vector=vector)
        t2 = time.perf_counter()
        total.append(1000 * (t2 - t0))
        alone.append(1000 * (t2 - t1))
        hits.append(len(found))
    worst = qs[int(np.argmax(total))]
    print(f"{len(qs)} queries, e.g. {qs[:4]}; median hits {int(np.median(hits))}, "
          f"no hits {sum(1 for h in hits if not h)}; slowest {max(total):.1f} ms: {worst!r}")
    print(f"search alone: p50 {pct(alone, 50):.1f} ms, p95 {pct(alone, 95):.1f}, "
          f"p99 {pct(alone, 99):.1f}; load average {os.getloadavg()[0]:.1f}")
    if args.explain:
        _explain(worst, embedder.embed([worst])[0])
    if args.compare:
        _compare(qs)
    server = _server_times(qs, total, alone, embedder)
    print(f"\nsearch_p50_ms={pct(total, 50):.1f} search_p95_ms={pct(total, 95):.1f} "
          f"search_p99_ms={pct(total, 99):.1f} explain_p95_ms={pct(server, 95):.1f} "
          f"corpus={size}")


# The keyword half before migration 0012: every match ranked on its full (TOASTed) document,
# the plan left to the planner.
KEYWORD_SQL_0011 = """
    select d.posting_id as id, ts_rank_cd(d.document, q) as rank
    from search_documents d, websearch_to_tsquery('english', :q) q
    where d.searchable and d.document @@ q
    order by rank desc, d.posting_id limit :pool
"""


def _compare(qs: list[str]) -> None:
    """Today's keyword half against KEYWORD_SQL_0011, query by query in alternating order on
    one connection: wall ms and the backend's own CPU ms (/proc/<pid>/schedstat; parallel
    workers' CPU is not counted). On a shared machine only the ratios mean much."""
    from sqlalchemy import text

    from hirehound.search._query import KEYWORD_SQL, RANKED_MATCHES, index_scans
    from hirehound.storage import db

    def on_cpu(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/schedstat") as fh:
                return int(fh.read().split()[0]) / 1e6
        except OSError:  # another machine's server: wall times only
            return 0.0

    def run(session: Any, new: bool, q: str) -> tuple[float, float, list[int]]:
        t0, c0 = time.perf_counter(), on_cpu(pid)
        args = {"q": q, "pool": 50, "ranked": RANKED_MATCHES}
        if new:
            with index_scans(session):
                ids = [r.id for r in session.execute(text(KEYWORD_SQL), args)]
        else:
            ids = [r.id for r in session.execute(text(KEYWORD_SQL_0011), args)]
        return 1000 * (time.perf_counter() - t0), on_cpu(pid) - c0, ids

    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    same = 0
    with db.transaction() as session:
        pid = session.execute(text("select pg_backend_pid()")).scalar_one()
        for q in qs[:10]:
            for new in (False, True):
                run(session, new, q)
        for i, q in enumerate(qs):
            got = {}
            for new in ((False, True) if i % 2 else (True, False)):
                ms, cpu_ms, got[new] = run(session, new, q)
                wall[new].append(ms)
                cpu[new].append(cpu_ms)
            same += got[True][:10] == got[False][:10]
    print(f"\nkeyword half, before 0012 -> now ({len(qs)} queries, interleaved; top 10 the same "
          f"for {same}; load average {os.getloadavg()[0]:.1f}):")
    for label, v in (("wall", wall), ("backend cpu", cpu)):
        print(f"  {label}: " + ", ".join(
            f"p{p} {pct(v[False], p):.1f} -> {pct(v[True], p):.1f} ms "
            f"(x{pct(v[True], p) / max(pct(v[False], p), 1e-9):.2f})" for p in (50, 95, 99)))


def _server_times(qs: list[str], total: list[float], alone: list[float],
                  embedder: Any) -> list[float]:
    """The run's times with its slowest 5% (+1) re-timed by the server: the query's embedding
    as measured, plus the `Execution Time` of EXPLAIN ANALYZE of the keyword and vector
    lookups. On a machine shared with other work, the wall-clock tail is mostly waiting for a
    core; this says what the queries themselves cost. Prints the re-timed queries."""
    import json

    from sqlalchemy import text

    from hirehound.search._query import KEYWORD_SQL, RANKED_MATCHES, VECTOR_SQL, index_scans
    from hirehound.storage import db

    out = list(total)
    slowest = sorted(range(len(qs)), key=lambda i: -total[i])[: len(qs) // 20 + 1]
    print("slowest queries: measured ms = embed + search | server ms: keyword (matches) + vector")
    for i in slowest:
        vector = np.asarray(embedder.embed([qs[i]])[0], dtype=np.float32)
        ms, matches = [], 0
        with db.transaction() as session, index_scans(session):
            for sql in (KEYWORD_SQL, VECTOR_SQL):
                plan = session.execute(text("explain (analyze, format json) " + sql),
                                       {"q": qs[i], "pool": 50, "v": vector,
                                        "ranked": RANKED_MATCHES}).scalar_one()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                ms.append(float(plan[0]["Execution Time"]))
                if sql is KEYWORD_SQL:
                    matches = _scanned(plan[0]["Plan"])
        embed = total[i] - alone[i]
        out[i] = embed + sum(ms)
        print(f"  {total[i]:7.1f} = {embed:5.1f} + {alone[i]:7.1f} | {ms[0]:7.1f} ({matches}) "
              f"+ {ms[1]:5.1f}  {qs[i]!r}")
    return out


def _scanned(node: dict[str, Any]) -> int:
    """Rows the scan of search_documents returned (the matches; at most RANKED_MATCHES of
    them are ranked)."""
    if node.get("Relation Name") == "search_documents":
        return int(node.get("Actual Rows", 0))
    return max((_scanned(n) for n in node.get("Plans", [])), default=0)


def _explain(query: str, vector: np.ndarray) -> None:
    """EXPLAIN ANALYZE of the keyword and vector lookups of `search` for one query."""
    from sqlalchemy import text

    from hirehound.search._query import KEYWORD_SQL, RANKED_MATCHES, VECTOR_SQL, index_scans
    from hirehound.storage import db

    with db.transaction() as session, index_scans(session):
        for sql in (KEYWORD_SQL, VECTOR_SQL):
            plan = session.execute(text("explain (analyze, buffers) " + sql),
                                   {"q": query, "pool": 50, "v": vector.astype(np.float32),
                                    "ranked": RANKED_MATCHES})
            print("\n".join(r[0] for r in plan))


if __name__ == "__main__":
    main()
