"""`hirehound db`: the schema and the embedded server."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hirehound.cli._common import settings


def cmd_upgrade(args: argparse.Namespace) -> int:
    from hirehound.storage import db, upgrade

    db.configure(settings())
    print(f"schema at revision {upgrade(args.revision)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from hirehound.storage import db, schema_status

    db.configure(settings())
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


def cmd_stop(args: argparse.Namespace) -> int:
    from hirehound.storage import _embedded

    stopped = _embedded.stop(settings().pgdata)
    print("embedded server stopped" if stopped else "embedded server was not running")
    return 0


def register(sub: Any) -> None:
    d = sub.add_parser("db", help="database schema and server").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    up = d.add_parser("upgrade", help="create or migrate the schema (safe to re-run)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_upgrade)
    st = d.add_parser("status", help="server, versions (PostgreSQL, pgvector) and schema")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    d.add_parser("stop", help="stop the embedded server now").set_defaults(func=cmd_stop)
