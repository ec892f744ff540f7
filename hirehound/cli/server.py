"""`hirehound server start`: a local Prefect server on PostgreSQL, in the foreground."""

from __future__ import annotations

import argparse
from typing import Any

from hirehound.cli._common import settings


def cmd_server_start(args: argparse.Namespace) -> int:
    import signal

    from hirehound.server import ServerOptions, running, wait_healthy

    # "Stop it with Ctrl-C" must hold even when started from a process that ignores SIGINT
    # (a shell's background job, a test runner): Python keeps an inherited SIG_IGN.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    options = ServerOptions(host=args.host, port=args.port, database=args.database,
                            server_url=args.database_url, public_url=args.public_url,
                            ui=not args.no_ui)
    with running(options, settings()) as (proc, database):
        took = wait_healthy(options, proc)
        print(f"Prefect server ready in {took:.0f}s\n  database: {database}\n"
              f"  UI:       {options.base_url}\n  API:      {options.api_url}\n\n"
              "Point workers and CLI commands at it:\n"
              f"  export PREFECT_API_URL={options.api_url}\n"
              "Stop it with Ctrl-C.", flush=True)
        return proc.wait()


def register(sub: Any) -> None:
    se = sub.add_parser("server", help="a local Prefect server backed by PostgreSQL")
    acts = se.add_subparsers(dest="server_command", required=True, metavar="ACTION")
    st = acts.add_parser("start", help="run the Prefect server in the foreground, its database "
                         "on Hirehound's PostgreSQL (created if missing)")
    st.add_argument("--host", default="127.0.0.1")
    st.add_argument("--port", type=int, default=4200)
    st.add_argument("--database", default="prefect", help="database of the Prefect server")
    st.add_argument("--database-url", default=None,
                    help="a PostgreSQL server to hold it (any database on it, e.g. "
                    "postgresql://user:pw@host:5432/postgres); default: Hirehound's")
    st.add_argument("--public-url", default=None,
                    help="the URL browsers reach the server at (PREFECT_UI_URL); default "
                    "http://HOST:PORT")
    st.add_argument("--no-ui", action="store_true", help="serve the API only")
    st.set_defaults(func=cmd_server_start)
