"""The `hirehound` command: database, ingestion, export, search, demo and operations.

Errors the user can fix (bad URL, unreadable file, server down) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hirehound.errors import HirehoundError

EXIT_USER_ERROR = 2


def _sigterm_to_exit(_signum: int, _frame: object) -> None:
    # atexit hooks (releasing the embedded database) only run on a normal exit.
    sys.exit(128 + signal.SIGTERM)


def _settings() -> Any:
    from pydantic import ValidationError

    from hirehound.errors import ConfigurationError
    from hirehound.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HIREHOUND_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigurationError(f"{name}: {first['msg']}") from None


def _database() -> Any:
    from hirehound.storage import db
    from hirehound.storage.migrate import ensure_schema

    db.configure(_settings())
    ensure_schema()
    return db


# -- db -------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from hirehound.storage import db, upgrade

    db.configure(_settings())
    print(f"schema at revision {upgrade(args.revision)}")
    return 0


def cmd_db_status(args: argparse.Namespace) -> int:
    from hirehound.storage import db, schema_status

    db.configure(_settings())
    st = schema_status()
    where = f"embedded ({db.settings().pgdata})" if st.embedded else "external"
    lines = {
        "server": f"PostgreSQL {st.server_version}, {where}",
        "url": st.url,
        "pgvector": st.pgvector_version or "not installed (run `hirehound db upgrade`)",
        "schema": f"{st.revision or 'empty'} (head {st.head})"
        + ("" if st.up_to_date else ": run `hirehound db upgrade`"),
        "embedding dim": str(st.embedding_dim) if st.embedding_dim else "-",
        "postings": str(st.postings) if st.postings is not None else "-",
    }
    if args.json:
        print(json.dumps({**st.__dict__, "up_to_date": st.up_to_date}))
    else:
        for k, v in lines.items():
            print(f"{k:>14}: {v}")
    return 0


def cmd_db_stop(args: argparse.Namespace) -> int:
    from hirehound.storage import _embedded

    stopped = _embedded.stop(_settings().pgdata)
    print("embedded server stopped" if stopped else "embedded server was not running")
    return 0


# -- ingest / export / search / demo ---------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from flows.ingest import ingest_postings, run_direct

    if args.direct:
        _database()
        counts = run_direct(args.targets, args.source, args.chunk_size, args.force)
    else:
        counts = ingest_postings(
            targets=args.targets, source=args.source, chunk_size=args.chunk_size, force=args.force
        )
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from hirehound.ingest import export_postings

    n = _export_to(args.output, lambda session, out: export_postings(session, out,
                                                                      status=args.status))
    print(f"exported {n} postings", file=sys.stderr)
    return 0


def _export_to(path: str, write: Callable[[Any, Any], int]) -> int:
    """Run an export function in one transaction, into a file or stdout ("-")."""
    db = _database()
    out = open(path, "w", encoding="utf-8") if path != "-" else sys.stdout  # noqa: SIM115
    try:
        with db.transaction() as session:
            return write(session, out)
    finally:
        if out is not sys.stdout:
            out.close()


def cmd_search(args: argparse.Namespace) -> int:
    from hirehound.embeddings import get_embedder
    from hirehound.search import search

    db = _database()
    vector = get_embedder(db.settings()).embed([args.query])[0]
    with db.transaction() as session:
        hits = search(session, args.query, limit=args.limit, query_vector=vector)
    if args.json:
        import dataclasses

        for h in hits:
            print(json.dumps(dataclasses.asdict(h)))
    else:
        _print_hits(hits)
    return 0


def _print_hits(hits: Sequence[Any]) -> None:
    if not hits:
        print("  (no results)")
    for i, h in enumerate(hits, 1):
        copies = f"  [{h.copies} copies]" if h.copies > 1 else ""
        print(f"  {i:>2}. {h.title} — {h.company or '?'} ({h.location or 'n/a'}){copies}")


def cmd_demo(args: argparse.Namespace) -> int:
    from hirehound.demo import run_demo

    return run_demo(query=args.query)


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from hirehound.storage.models import DeadLetter, Organization

    db = _database()
    with db.transaction() as session:
        q = (select(DeadLetter, Organization.name)
             .outerjoin(Organization, Organization.id == DeadLetter.organization_id)
             .order_by(DeadLetter.id.desc()).limit(args.limit))
        if args.step:
            q = q.where(DeadLetter.step == args.step)
        for d, org in session.execute(q):
            print(f"{d.created_at:%Y-%m-%d %H:%M}  {d.step:<13} {_what_failed(d, org)}\n"
                  f"{'':18}{_one_line_error(d.error_type, d.detail)}")
    return 0


def _what_failed(d: Any, org: str | None) -> str:
    """The thing a dead letter is about: a posting, a target or an organization."""
    if d.posting_id is not None:
        key = f" {d.source}:{d.source_id}" if d.source_id else ""
        return f"posting {d.posting_id}{key}"
    if d.target:
        return f"target {d.target}"
    if d.organization_id is not None:
        return f"organization {d.organization_id} {org or ''}".rstrip()
    if d.source_id:
        return f"record {d.source}:{d.source_id}"
    return f"{d.source or 'unknown'} record"


def _one_line_error(error_type: str, detail: str) -> str:
    first = (detail or "").strip().splitlines()[0] if detail and detail.strip() else ""
    if first.startswith(f"{error_type}:"):  # the type is already there
        first = first[len(error_type) + 1:].strip()
    return f"{error_type}: {first[:160]}"


# -- sources: the crawl registry ---------------------------------------------------------


def cmd_sources_add(args: argparse.Namespace) -> int:
    from hirehound import crawl

    every = crawl.parse_every(args.every)
    db = _database()
    with db.transaction() as session:
        source, created = crawl.add_source(
            session, args.target, kind=args.kind, every_s=every, organization=args.org,
            min_interval_s=args.min_interval,
        )
        print(f"{'added' if created else 'updated'} {source.name} ({source.kind}, every "
              f"{_duration(source.every_s)})")
    return 0


def cmd_sources_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hirehound import crawl

    path = Path(args.file) if args.file else crawl.SHIPPED_BOARDS
    rows = crawl.read_source_rows(path)
    db = _database()
    with db.transaction() as session:
        report = crawl.import_sources(session, rows, every_s=crawl.parse_every(args.every),
                                      min_interval_s=args.min_interval)
    print(f"{path.name}: {report.render()}")
    return 0


def _duration(seconds: float) -> str:
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def cmd_sources_list(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from hirehound import crawl

    db = _database()
    now = datetime.now(UTC)
    with db.transaction() as session:
        sources = crawl.list_sources(session, args.names)
        if args.json:
            for s in sources:
                print(json.dumps({c.name: getattr(s, c.name) for c in s.__table__.columns},
                                 default=str))
            return 0
        print(f"{'source':<40} {'state':<9} {'every':>5} {'last':<12} {'seen':>5} "
              f"{'next due':>9}  result")
        for s in sources:
            state = "enabled" if s.enabled else "disabled"
            due = s.next_due_at - now
            nxt = "now" if due.total_seconds() <= 0 else _duration(max(60, due.total_seconds()
                                                                          // 60 * 60))
            last = f"{s.last_crawl_at:%m-%d %H:%M}" if s.last_crawl_at else "never"
            if not s.enabled and s.disabled_reason:
                result = s.disabled_reason
            elif s.last_status == "failed":
                result = f"failed x{s.consecutive_failures}: {s.last_error or ''}"
            elif s.last_status:
                c = s.last_counts or {}
                result = s.last_status + "".join(
                    f" {k}={c[k]}" for k in ("new", "changed", "closed") if c.get(k))
            else:
                result = ""
            name = s.name if len(s.name) <= 40 else "…" + s.name[-39:]  # the board's end
            print(f"{name:<40} {state:<9} {_duration(s.every_s):>5} {last:<12} "
                  f"{s.postings_seen if s.postings_seen is not None else '-':>5} "
                  f"{nxt if s.enabled else '-':>9}  {result[:100]}")
        print(f"{len(sources)} sources")
    return 0


def cmd_sources_enable(args: argparse.Namespace) -> int:
    from hirehound import crawl

    db = _database()
    with db.transaction() as session:
        n = crawl.set_enabled(session, args.names, args.enable)
    print(f"{'enabled' if args.enable else 'disabled'} {n} sources")
    return 0


def cmd_sources_crawl(args: argparse.Namespace) -> int:
    from flows.crawl import crawl_due_sources

    if bool(args.all) == bool(args.names):
        raise HirehoundError("give --all (every due source) or source names, not both")
    _database()
    result = crawl_due_sources(names=args.names or None, limit=args.limit,
                               boards_per_run=args.boards_per_run)
    print(json.dumps(result, sort_keys=True, default=str))
    return 0


# -- operations and enrichment (wired to their modules) -----------------------------------


def _optional(module: str, attr: str) -> Callable[..., Any]:
    import importlib

    try:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise HirehoundError(f"{module}.{attr} is not available: {exc}") from None


def cmd_setup(args: argparse.Namespace) -> int:
    report = _optional("deployments.setup", "setup")(dry_run=args.dry_run)
    print(report.render())
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    run = _optional("flows.enrich", "run_enrich")
    _database()
    result = run(args.names or None, all=args.all, stale=args.stale, limit=args.limit)
    print(json.dumps(result, default=str))
    return 0


def cmd_orgs_export(args: argparse.Namespace) -> int:
    n = _export_to(args.output, _optional("hirehound.orgs", "export_organizations"))
    print(f"exported {n} organizations", file=sys.stderr)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    serve = _optional("hirehound.metrics", "serve")
    _database()
    print(f"serving Prometheus metrics on http://{args.host}:{args.port}/metrics")
    serve(args.port, settings=_settings(), prefect_api_url=os.environ.get("PREFECT_API_URL"),
          host=args.host)
    return 0


# -- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from hirehound.sources import SourceKind

    kinds = list(SourceKind.__args__)  # type: ignore[attr-defined]
    p = argparse.ArgumentParser(
        prog="hirehound",
        description="Hirehound pipelines: ingest job postings, enrich employers, keep the "
        "corpus clean. With no HIREHOUND_DATABASE_URL an embedded PostgreSQL starts under "
        "HIREHOUND_HOME.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("db", help="database schema and server").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    up = d.add_parser("upgrade", help="create or migrate the schema (safe to re-run)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    st = d.add_parser("status", help="server, versions (PostgreSQL, pgvector) and schema")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_db_status)
    d.add_parser("stop", help="stop the embedded server now").set_defaults(func=cmd_db_stop)

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

    dl = sub.add_parser("dead-letters", help="list what failed for good, newest first")
    dl.add_argument("--step")
    dl.add_argument("--limit", type=int, default=50)
    dl.set_defaults(func=cmd_dead_letters)

    so = sub.add_parser("sources", help="the crawl registry: boards and pages crawled on a "
                        "cadence").add_subparsers(dest="sources_command", required=True,
                                                  metavar="ACTION")
    sa = so.add_parser("add", help="register a board or page (due at once)")
    sa.add_argument("target", help="ashby:<board>, greenhouse:<token>, lever:<company>, a board "
                    "API URL or a page URL")
    sa.add_argument("--kind", choices=kinds, help="source kind (detected when omitted)")
    sa.add_argument("--every", default="1h", help="cadence: 30m, 1h, 1d (default 1h)")
    sa.add_argument("--org", help="the employer's name, for boards that do not give it")
    sa.add_argument("--min-interval", type=float, default=1.0, metavar="SECONDS",
                    help="politeness: at least this long between requests to its host")
    sa.set_defaults(func=cmd_sources_add)
    si = so.add_parser("import", help="register boards from a CSV/JSONL/JSON list (default: "
                       "the shipped list of 378 companies' ATS boards)")
    si.add_argument("file", nargs="?", help="kind,board CSV, JSON lines, or a JSON list")
    si.add_argument("--every", default="1h", help="cadence for rows without one (default 1h)")
    si.add_argument("--min-interval", type=float, default=1.0, metavar="SECONDS")
    si.set_defaults(func=cmd_sources_import)
    sl = so.add_parser("list", help="every source: state, last result or error, next due")
    sl.add_argument("names", nargs="*", default=[])
    sl.add_argument("--json", action="store_true")
    sl.set_defaults(func=cmd_sources_list)
    for action, enable in (("enable", True), ("disable", False)):
        sx = so.add_parser(action, help=f"{action} sources by name")
        sx.add_argument("names", nargs="+")
        sx.set_defaults(func=cmd_sources_enable, enable=enable)
    sc = so.add_parser("crawl", help="crawl now: child runs on the pool when crawl-sources is "
                       "deployed, subflows in this process otherwise")
    sc.add_argument("--all", action="store_true", help="every due source")
    sc.add_argument("names", nargs="*", default=[], help="these sources, due or not")
    sc.add_argument("--limit", type=int, default=1000)
    sc.add_argument("--boards-per-run", type=int, default=25)
    sc.set_defaults(func=cmd_sources_crawl)

    su = sub.add_parser("setup", help="create work pool, queues, limits, blocks, automations "
                        "on the Prefect server (idempotent)")
    su.add_argument("--dry-run", action="store_true", help="show what would change")
    su.set_defaults(func=cmd_setup)

    en = sub.add_parser("enrich", help="enrich organizations from external sources")
    g = en.add_mutually_exclusive_group(required=True)
    g.add_argument("--all", action="store_true", help="every organization")
    g.add_argument("--stale", type=int, metavar="DAYS", help="not enriched for DAYS days")
    g.add_argument("names", nargs="*", default=[], metavar="ORG_NAME")
    en.add_argument("--limit", type=int, default=500, help="at most this many organizations")
    en.set_defaults(func=cmd_enrich)

    og = sub.add_parser("orgs", help="organizations").add_subparsers(
        dest="orgs_command", required=True, metavar="ACTION"
    )
    oe = og.add_parser("export", help="write organizations as JSON lines")
    oe.add_argument("--format", choices=["jsonl"], default="jsonl")
    oe.add_argument("-o", "--output", default="-")
    oe.set_defaults(func=cmd_orgs_export)

    me = sub.add_parser("metrics", help="Prometheus metrics").add_subparsers(
        dest="metrics_command", required=True, metavar="ACTION"
    )
    ms = me.add_parser("serve", help="serve /metrics over HTTP")
    ms.add_argument("--port", type=int, default=9108)
    ms.add_argument("--host", default="127.0.0.1")
    ms.set_defaults(func=cmd_metrics)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _sigterm_to_exit)
    # Prefect's temporary server reports usage to a host workers often cannot reach, and logs
    # an ERROR when it fails; a local command should not. An explicit setting wins.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except HirehoundError as exc:
        print(f"hirehound: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `hirehound export | head`: the reader left; not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
