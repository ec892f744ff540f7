"""`hirehound dead-letters`: what failed for good, readable by the person who will act on it.

    hirehound dead-letters [--step S] [--all]          open letters, newest first
    hirehound dead-letters replay [--step S] [--since T] [--id N ...]
    hirehound dead-letters resolve (--id N ... | --step S) --reason TEXT
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hirehound.cli._common import database
from hirehound.errors import ConfigurationError


def cmd_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from hirehound.storage.models import DeadLetter, Organization

    db = database()
    with db.transaction() as session:
        q = (select(DeadLetter, Organization.name)
             .outerjoin(Organization, Organization.id == DeadLetter.organization_id)
             .order_by(DeadLetter.id.desc()).limit(args.limit))
        if args.list_step:
            q = q.where(DeadLetter.step == args.list_step)
        if not args.all:
            q = q.where(DeadLetter.resolved_at.is_(None))
        for d, org in session.execute(q):
            tries = f"  (x{d.attempts})" if d.attempts > 1 else ""
            print(f"#{d.id:<6} {d.created_at:%Y-%m-%d %H:%M}  {d.step:<13} "
                  f"{what_failed(d, org)}{tries}\n"
                  f"{'':25}{one_line_error(d.error_type, d.detail)}")
            if d.resolved_at is not None:
                print(f"{'':25}resolved {d.resolved_at:%Y-%m-%d %H:%M}: {d.resolution}")
    return 0


def what_failed(d: Any, org: str | None) -> str:
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


def one_line_error(error_type: str, detail: str) -> str:
    """`Type: first line`, without the type twice when the detail already starts with it."""
    first = (detail or "").strip().splitlines()[0] if detail and detail.strip() else ""
    if first.startswith(f"{error_type}:"):
        first = first[len(error_type) + 1:].strip()
    return f"{error_type}: {first[:160]}"


def since_time(text: str) -> datetime:
    """`--since`: an ISO time (2026-11-30T02:00, UTC when it names no zone) or an age (2h, 3d)."""
    units = {"m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units and text[:-1].isdigit():
        return datetime.now(UTC) - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(
            f"--since {text!r}: give an ISO time (2026-11-30T02:00) or an age (30m, 2h, 3d)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def cmd_replay(args: argparse.Namespace) -> int:
    from flows.dead_letters import replay_dead_letters

    database()
    counts = replay_dead_letters(
        step=args.step, since=since_time(args.since) if args.since else None,
        ids=args.ids or None, limit=args.limit,
    )
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from hirehound.storage import dead_letters

    if not args.ids and not args.step:
        raise ConfigurationError("resolve needs --id N (repeatable) or --step S")
    db = database()
    with db.transaction() as session:
        n = dead_letters.resolve(session, ids=args.ids or None, step=args.step,
                                 resolution=args.reason, resolved_by="cli")
    print(f"resolved {n} dead letter(s)")
    return 0


def register(sub: Any) -> None:
    dl = sub.add_parser("dead-letters", help="list, replay or resolve what failed for good")
    dl.add_argument("--step", dest="list_step", help="only letters of this step")
    dl.add_argument("--limit", type=int, default=50)
    dl.add_argument("--all", action="store_true", help="resolved letters too")
    dl.set_defaults(func=cmd_list)
    actions = dl.add_subparsers(dest="action", metavar="ACTION")

    rp = actions.add_parser("replay", help="run open letters again; resolve what goes through")
    rp.add_argument("--step", help="only letters of this step (normalize, fetch, ...)")
    rp.add_argument("--since", help="only letters written since: ISO time or age (2h, 3d)")
    rp.add_argument("--id", dest="ids", type=int, action="append", help="this letter (repeat)")
    rp.add_argument("--limit", type=int, default=1000, help="at most this many, oldest first")
    rp.set_defaults(func=cmd_replay)

    rs = actions.add_parser("resolve", help="close letters nobody will replay, with a reason")
    rs.add_argument("--id", dest="ids", type=int, action="append", help="this letter (repeat)")
    rs.add_argument("--step", help="every open letter of this step")
    rs.add_argument("--reason", required=True, help="why (kept with the letter)")
    rs.set_defaults(func=cmd_resolve)
