"""Operations: `setup` of the Prefect server, `enrich`, `orgs export`, `metrics serve`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from hirehound.cli._common import database, export_to, optional, settings


def cmd_setup(args: argparse.Namespace) -> int:
    report = optional("deployments.setup", "setup")(dry_run=args.dry_run)
    print(report.render())
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    run = optional("flows.enrich", "run_enrich")
    database()
    result = run(args.names or None, all=args.all, stale=args.stale, limit=args.limit)
    print(json.dumps(result, default=str))
    return 0


def cmd_orgs_export(args: argparse.Namespace) -> int:
    n = export_to(args.output, optional("hirehound.orgs", "export_organizations"))
    print(f"exported {n} organizations", file=sys.stderr)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    serve = optional("hirehound.metrics", "serve")
    database()
    print(f"serving Prometheus metrics on http://{args.host}:{args.port}/metrics")
    serve(args.port, settings=settings(), prefect_api_url=os.environ.get("PREFECT_API_URL"),
          host=args.host)
    return 0


def register(sub: Any) -> None:
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
