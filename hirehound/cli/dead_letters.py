"""`hirehound dead-letters`: what failed for good, readable by the person who will act on it."""

from __future__ import annotations

import argparse
from typing import Any

from hirehound.cli._common import database


def cmd_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from hirehound.storage.models import DeadLetter, Organization

    db = database()
    with db.transaction() as session:
        q = (select(DeadLetter, Organization.name)
             .outerjoin(Organization, Organization.id == DeadLetter.organization_id)
             .order_by(DeadLetter.id.desc()).limit(args.limit))
        if args.step:
            q = q.where(DeadLetter.step == args.step)
        for d, org in session.execute(q):
            print(f"{d.created_at:%Y-%m-%d %H:%M}  {d.step:<13} {what_failed(d, org)}\n"
                  f"{'':18}{one_line_error(d.error_type, d.detail)}")
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


def register(sub: Any) -> None:
    dl = sub.add_parser("dead-letters", help="list what failed for good, newest first")
    dl.add_argument("--step")
    dl.add_argument("--limit", type=int, default=50)
    dl.set_defaults(func=cmd_list)
