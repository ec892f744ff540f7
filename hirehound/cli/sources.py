"""`hirehound sources`: the crawl registry of boards and pages."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hirehound.cli._common import database, duration
from hirehound.errors import HirehoundError


def cmd_add(args: argparse.Namespace) -> int:
    from hirehound import crawl

    every = crawl.parse_every(args.every)
    db = database()
    with db.transaction() as session:
        source, created = crawl.add_source(
            session, args.target, kind=args.kind, every_s=every, organization=args.org,
            min_interval_s=args.min_interval,
        )
        print(f"{'added' if created else 'updated'} {source.name} ({source.kind}, every "
              f"{duration(source.every_s)})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hirehound import crawl

    path = Path(args.file) if args.file else crawl.SHIPPED_BOARDS
    rows = crawl.read_source_rows(path)
    db = database()
    with db.transaction() as session:
        report = crawl.import_sources(session, rows, every_s=crawl.parse_every(args.every),
                                      min_interval_s=args.min_interval)
    print(f"{path.name}: {report.render()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from hirehound import crawl

    db = database()
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
            nxt = "now" if due.total_seconds() <= 0 else duration(max(60, due.total_seconds()
                                                                        // 60 * 60))
            last = f"{s.last_crawl_at:%m-%d %H:%M}" if s.last_crawl_at else "never"
            name = s.name if len(s.name) <= 40 else "…" + s.name[-39:]  # the board's end
            print(f"{name:<40} {state:<9} {duration(s.every_s):>5} {last:<12} "
                  f"{s.postings_seen if s.postings_seen is not None else '-':>5} "
                  f"{nxt if s.enabled else '-':>9}  {_result(s)[:100]}")
        print(f"{len(sources)} sources")
    return 0


def _result(s: Any) -> str:
    if not s.enabled and s.disabled_reason:
        return str(s.disabled_reason)
    if s.last_status == "failed":
        return f"failed x{s.consecutive_failures}: {s.last_error or ''}"
    if s.last_status:
        c = s.last_counts or {}
        return str(s.last_status) + "".join(
            f" {k}={c[k]}" for k in ("new", "changed", "closed") if c.get(k))
    return ""


def cmd_enable(args: argparse.Namespace) -> int:
    from hirehound import crawl

    db = database()
    with db.transaction() as session:
        n = crawl.set_enabled(session, args.names, args.enable)
    print(f"{'enabled' if args.enable else 'disabled'} {n} sources")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from flows.crawl import crawl_due_sources

    if bool(args.all) == bool(args.names):
        raise HirehoundError("give --all (every due source) or source names, not both")
    database()
    result = crawl_due_sources(names=args.names or None, limit=args.limit,
                               boards_per_run=args.boards_per_run)
    print(json.dumps(result, sort_keys=True, default=str))
    return 0


def register(sub: Any, kinds: list[str]) -> None:
    from hirehound.sources import board_kinds

    so = sub.add_parser("sources", help="the crawl registry: boards and pages crawled on a "
                        "cadence").add_subparsers(dest="sources_command", required=True,
                                                  metavar="ACTION")
    sa = so.add_parser("add", help="register a board or page (due at once)")
    sa.add_argument("target", help="a board as <kind>:<board> (ashby:cohere; kinds with a "
                    "board API: " + ", ".join(board_kinds()) + "), a board API URL or a page "
                    "URL (--kind page: a career page without JSON-LD)")
    sa.add_argument("--kind", choices=kinds, help="source kind (detected when omitted)")
    sa.add_argument("--every", default="1h", help="cadence: 30m, 1h, 1d (default 1h)")
    sa.add_argument("--org", help="the employer's name, for boards that do not give it")
    sa.add_argument("--min-interval", type=float, default=1.0, metavar="SECONDS",
                    help="politeness: at least this long between requests to its host")
    sa.set_defaults(func=cmd_add)
    si = so.add_parser("import", help="register boards from a CSV/JSONL/JSON list (default: "
                       "the shipped list of 378 companies' ATS boards)")
    si.add_argument("file", nargs="?", help="kind,board CSV, JSON lines, or a JSON list")
    si.add_argument("--every", default="1h", help="cadence for rows without one (default 1h)")
    si.add_argument("--min-interval", type=float, default=1.0, metavar="SECONDS")
    si.set_defaults(func=cmd_import)
    sl = so.add_parser("list", help="every source: state, last result or error, next due")
    sl.add_argument("names", nargs="*", default=[])
    sl.add_argument("--json", action="store_true")
    sl.set_defaults(func=cmd_list)
    for action, enable in (("enable", True), ("disable", False)):
        sx = so.add_parser(action, help=f"{action} sources by name")
        sx.add_argument("names", nargs="+")
        sx.set_defaults(func=cmd_enable, enable=enable)
    sc = so.add_parser("crawl", help="crawl now: child runs on the pool when crawl-sources is "
                       "deployed, subflows in this process otherwise")
    sc.add_argument("--all", action="store_true", help="every due source")
    sc.add_argument("names", nargs="*", default=[], help="these sources, due or not")
    sc.add_argument("--limit", type=int, default=1000)
    sc.add_argument("--boards-per-run", type=int, default=25)
    sc.set_defaults(func=cmd_crawl)
