"""`hirehound review`: the postings the spam step held back, and an operator's verdict on them.

    hirehound review list [--spam] [--limit N]
    hirehound review approve ID [ID ...]     # publish
    hirehound review reject ID [ID ...]      # confirmed spam: known spam for the similarity stage
"""

from __future__ import annotations

import argparse
from typing import Any

from hirehound.cli._common import database


def cmd_list(args: argparse.Namespace) -> int:
    from hirehound.scoring import held_for_review

    db = database()
    with db.transaction() as session:
        held = held_for_review(session, limit=args.limit, spam=args.spam)
    for h in held:
        score = f"{h.spam_score:.2f}" if h.spam_score is not None else "-"
        print(f"{h.id:>8}  {score:>5}  {h.title[:60]}  ({h.company or 'no company'})\n"
              f"{'':17}{(h.reason or '')[:120]}\n{'':17}{h.url or ''}")
    if not held:
        print("nothing to review" if not args.spam else "no postings marked spam")
    return 0


def _decide(args: argparse.Namespace, action: str) -> int:
    from hirehound.scoring import approve, reject

    db = database()
    with db.transaction() as session:
        done = (approve if action == "approve" else reject)(session, args.ids)
    missing = sorted(set(args.ids) - set(done))
    verb = "published" if action == "approve" else "marked spam"
    print(f"{verb}: {', '.join(map(str, done)) or 'none'}")
    if missing:
        print(f"not found: {', '.join(map(str, missing))}")
        return 1
    return 0


def register(sub: Any) -> None:
    rv = sub.add_parser(
        "review", help="postings held as suspected spam: list, approve (publish), reject (spam)"
    ).add_subparsers(dest="review_command", required=True, metavar="ACTION")
    ls = rv.add_parser("list", help="held postings, highest spam score first")
    ls.add_argument("--spam", action="store_true", help="list postings marked spam instead")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=cmd_list)
    for action, help_ in (("approve", "publish these postings"),
                          ("reject", "mark these postings spam (known spam from now on)")):
        p = rv.add_parser(action, help=help_)
        p.add_argument("ids", type=int, nargs="+", metavar="ID")
        p.set_defaults(func=lambda a, action=action: _decide(a, action))
