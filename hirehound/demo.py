"""`hirehound demo`: ingest the bundled sample through the real flow, crawl its boards, and
show the outcome.

The crawl half serves the bundled Ashby boards from a server on 127.0.0.1 (there may be no
network), registers them in the source registry and runs the crawl flow three times: the
first finds every posting already known, then one job is filled (it leaves its board) and
two more crawls close it, as the cron deployment would over a few hours.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import text


def run_demo(query: str = "senior software engineer") -> int:
    """Run the ingestion flow on the demo sample, print a summary and one search."""
    from flows.ingest import ingest_postings
    from hirehound.embeddings import get_embedder
    from hirehound.search import format_hits, search
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
    print(format_hits(hits))
    _crawl_demo()
    print("\nNext: `hirehound search \"data engineer\"`, `hirehound export --format jsonl`, "
          "`hirehound sources list`, `hirehound sources import` (the shipped board list).")
    return 0


class _Boards:
    """Ashby board API responses held in memory, with ETags so unchanged boards answer 304."""

    def __init__(self) -> None:
        from hirehound.sources import demo_targets

        self.jobs: dict[str, list[dict[str, Any]]] = {}
        for kind, path in demo_targets():
            if kind == "ashby":
                board = path.name.removesuffix(".gz").removesuffix(".json")
                self.jobs[board] = json.loads(gzip.decompress(path.read_bytes()))["jobs"]

    def body(self, board: str) -> tuple[bytes, str]:
        raw = json.dumps({"apiVersion": "1", "jobs": self.jobs[board]}).encode()
        return raw, '"' + hashlib.sha256(raw).hexdigest()[:16] + '"'


@contextmanager
def _serve(boards: _Boards) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            board = unquote(urlsplit(self.path).path.rsplit("/", 1)[-1])
            if board not in boards.jobs:
                self.send_error(404)
                return
            raw, etag = boards.body(board)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _crawl_demo() -> None:
    from flows.crawl import crawl_due_sources
    from hirehound import crawl
    from hirehound.storage import db

    boards = _Boards()
    if not boards.jobs:
        return
    # The boards live on this machine: let this process's fetches reach loopback (the flows
    # read their settings from the environment).
    os.environ["HIREHOUND_ALLOW_PRIVATE_ADDRESSES"] = "true"
    print(f"\nCrawling: the {len(boards.jobs)} bundled Ashby boards, served on 127.0.0.1, "
          "registered as sources and crawled by the crawl-due-sources flow.")
    with _serve(boards) as base:
        with db.transaction() as s:
            names = []
            for board in boards.jobs:
                url = f"{base}/posting-api/job-board/{quote(board, safe='')}"
                names.append(crawl.add_source(s, url, every_s=3600, min_interval_s=0.0)[0].name)

        def crawl_now(label: str) -> None:
            got = crawl_due_sources(names=names, use_pool=False, min_runs=1)
            print(f"  {label:<34} " + ", ".join(
                f"{k} {got.get(k, 0)}" for k in ("ok", "not_modified", "new", "changed",
                                                  "unchanged", "closed")))

        crawl_now("1st crawl (already ingested)")
        board = next(iter(boards.jobs))
        filled = boards.jobs[board].pop()
        print(f"  the employer fills {filled['title']!r}: it leaves the {board} board")
        crawl_now("2nd crawl (missing once)")
        crawl_now("3rd crawl (missing twice: closed)")
    with db.transaction() as s:
        status = s.execute(text("select status, status_reason from postings "
                                "where source_id = :id"), {"id": filled["id"]}).one()
        # The demo's server is gone: its boards must not stay due in the registry.
        s.execute(text("delete from crawl_sources where name = any(:n)"), {"n": names})
    print(f"  {filled['title']!r} is now {status[0]} ({status[1]})")
