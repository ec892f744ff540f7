"""The `hirehound` command: database, ingestion, export, search, demo and operations.

One module per command group, each with `register(subparsers)`; a new command is a new module
listed in `_GROUPS`. Errors the user can fix (bad URL, unreadable file, server down) print one
line and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from hirehound.cli import db, dead_letters, ops, postings, review, server, sources
from hirehound.errors import HirehoundError

EXIT_USER_ERROR = 2


def _sigterm_to_exit(_signum: int, _frame: object) -> None:
    # atexit hooks (releasing the embedded database) only run on a normal exit.
    sys.exit(128 + signal.SIGTERM)


def build_parser() -> argparse.ArgumentParser:
    from hirehound.sources import source_kinds

    kinds = list(source_kinds())  # every registered source module
    p = argparse.ArgumentParser(
        prog="hirehound",
        description="Hirehound pipelines: ingest job postings, enrich employers, keep the "
        "corpus clean. With no HIREHOUND_DATABASE_URL an embedded PostgreSQL starts under "
        "HIREHOUND_HOME.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db.register(sub)
    postings.register(sub, kinds)
    dead_letters.register(sub)
    review.register(sub)
    sources.register(sub, kinds)
    ops.register(sub)
    server.register(sub)
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
