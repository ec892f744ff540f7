"""Postings in and out: `ingest`, `export`, `search` and the `demo`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hirehound.cli._common import database, export_to


def cmd_ingest(args: argparse.Namespace) -> int:
    if args.direct:
        from flows.ingest import run_direct

        database()
        counts = run_direct(args.targets, args.source, args.chunk_size, args.force)
    else:
        from hirehound.cli import _prefect_api

        # First, before Prefect is imported: the API starts (or is found running) while this
        # process imports the flow and starts the database, instead of after both.
        with _prefect_api.for_command() as api:
            from flows.ingest import ingest_postings

            database()
            if api is not None:
                api.wait()
            counts = ingest_postings(targets=args.targets, source=args.source,
                                     chunk_size=args.chunk_size, force=args.force)
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from hirehound.ingest import export_postings

    n = export_to(args.output, lambda session, out: export_postings(session, out,
                                                                     status=args.status))
    print(f"exported {n} postings", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from hirehound.embeddings import get_embedder
    from hirehound.search import format_hits, search

    db = database()
    vector = get_embedder(db.settings()).embed([args.query])[0]
    with db.transaction() as session:
        hits = search(session, args.query, limit=args.limit, query_vector=vector)
    if args.json:
        import dataclasses

        for h in hits:
            print(json.dumps(dataclasses.asdict(h)))
    else:
        print(format_hits(hits))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from hirehound.cli import _prefect_api

    # The same local API as `ingest` (kept for the next command; the first one on a machine
    # also keeps the template of its database for every new Prefect home).
    with _prefect_api.for_command() as api:
        from hirehound.demo import run_demo

        if api is not None:
            api.wait()
        return run_demo(query=args.query)


def register(sub: Any, kinds: list[str]) -> None:
    ing = sub.add_parser("ingest", help="ingest postings from boards, URLs or files")
    ing.add_argument("targets", nargs="+", metavar="PATH_OR_URL",
                     help="file, folder, URL, or board shorthand like ashby:cohere")
    ing.add_argument("--source", choices=kinds, help="source kind (detected when omitted)")
    ing.add_argument("--chunk-size", type=int, default=512, help="postings per task run")
    ing.add_argument("--force", action="store_true", help="reprocess unchanged postings")
    ing.add_argument("--direct", action="store_true",
                     help="run the steps without Prefect (debugging, benchmarks)")
    ing.set_defaults(func=cmd_ingest)

    ex = sub.add_parser("export", help="write postings as JSON lines")
    ex.add_argument("--format", choices=["jsonl"], default="jsonl")
    ex.add_argument("--status", help="only postings in this status (active, held, ...)")
    ex.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    ex.set_defaults(func=cmd_export)

    se = sub.add_parser("search", help="search active postings (one hit per job)")
    se.add_argument("query")
    se.add_argument("--limit", type=int, default=10)
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=cmd_search)

    de = sub.add_parser("demo", help="ingest the bundled real sample and show what happened")
    de.add_argument("--query", default="senior software engineer",
                    help="the example search to run at the end")
    de.set_defaults(func=cmd_demo)
