"""Dedup of organizations: same domain, or names that are near-identical, found by blocking.

Blocking never compares against every organization: candidates share a distinctive token of
the normalized name or its four-letter prefix (`organizations.block_keys`, GIN-indexed), or
the domain. RapidFuzz then scores that small set on the space-free names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.orgs import name_key

log = logging.getLogger(__name__)

# Tokens too common in company names to block on (they would pull in thousands of rows).
_GENERIC_TEXT = (
    "group holdings holding technologies technology tech solutions services systems software "
    "labs lab international global health healthcare capital partners consulting bank "
    "financial digital data media network networks energy american national united first "
    "new north south east west us usa ai io app apps company inc"
)
_GENERIC = frozenset(_GENERIC_TEXT.split())
FUZZ_THRESHOLD = 92.0
MIN_KEY_LEN = 5
MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class Duplicate:
    organization_id: int
    reason: str  # "domain" | "fuzzy:<score>"


def blocking_keys(normalized_name: str) -> list[str]:
    """The keys an organization is looked up by (a subset of its `block_keys`)."""
    tokens = [t for t in normalized_name.split() if len(t) >= 3 and t not in _GENERIC]
    keys = tokens[:3]
    compact = name_key(normalized_name)
    if compact:
        keys.append("~" + compact[:4])
    return keys


def find_duplicates(session: Session, org_id: int) -> list[Duplicate]:
    """Live organizations that are the same as `org_id` (same domain, or near-same name)."""
    row = session.execute(
        text("select normalized_name, domain from organizations where id = :id"), {"id": org_id}
    ).one_or_none()
    if row is None:
        return []
    name, domain = row
    keys = blocking_keys(name)
    candidates = session.execute(
        text(
            "select id, normalized_name, domain from organizations"
            " where id <> :id and merged_into_id is null"
            " and (block_keys && cast(:keys as text[]) or (cast(:domain as text) is not null"
            "      and domain = :domain))"
            " limit :limit"
        ),
        {"id": org_id, "keys": keys, "domain": domain, "limit": MAX_CANDIDATES},
    ).all()
    mine = name_key(name)
    found: list[Duplicate] = []
    for cid, cname, cdomain in candidates:
        if domain and cdomain == domain:
            found.append(Duplicate(cid, "domain"))
            continue
        if domain and cdomain and cdomain != domain:
            continue  # two different websites: two organizations, however alike the names
        theirs = name_key(cname)
        if min(len(mine), len(theirs)) < MIN_KEY_LEN:
            continue  # "ibm" vs "ibx": short names are too easy to confuse
        score = fuzz.ratio(mine, theirs)
        if score >= FUZZ_THRESHOLD:
            found.append(Duplicate(cid, f"fuzzy:{score:.0f}"))
    return found


_FILL = (
    "domain", "website", "description", "industry", "size_bucket", "employee_count",
    "founded_year", "hq_city", "hq_region", "hq_country", "hq_lat", "hq_lon", "logo_url",
)  # fmt: skip


def merge_organizations(session: Session, survivor_id: int, duplicate_ids: list[int]) -> list[int]:
    """Fold duplicates into the survivor; returns the ids of postings that moved.

    Keeps every alias (names and alias rows), fills the survivor's empty fields from the
    duplicates, repoints postings and posting embeddings, and marks each duplicate
    `merged_into_id` (its row stays, so old ids and names still resolve).
    """
    dups = sorted(set(duplicate_ids) - {survivor_id})
    if not dups:
        return []
    # Lock in id order: two workers merging overlapping sets never deadlock.
    session.execute(
        text("select id from organizations where id = any(:ids) order by id for update"),
        {"ids": [survivor_id, *dups]},
    )
    fill = ", ".join(
        f"{c} = coalesce(s.{c}, (select d.{c} from organizations d where d.id = any(:dups)"
        f" and d.{c} is not null order by d.id limit 1))"
        for c in _FILL
    )
    session.execute(
        text(
            f"update organizations s set {fill},"
            " aliases = (select coalesce(array_agg(distinct a), '{}') from ("
            "   select unnest(s.aliases) a"
            "   union select name from organizations where id = any(:dups)"
            "   union select unnest(aliases) from organizations where id = any(:dups)) x"
            "   where a <> s.name),"
            " updated_at = now() where s.id = :sid"
        ),
        {"sid": survivor_id, "dups": dups},
    )
    session.execute(
        text(
            "update organization_aliases set organization_id = :sid"
            " where organization_id = any(:dups)"
        ),
        {"sid": survivor_id, "dups": dups},
    )
    moved = (
        session.execute(
            text(
                "update postings set organization_id = :sid, updated_at = now()"
                " where organization_id = any(:dups) returning id"
            ),
            {"sid": survivor_id, "dups": dups},
        )
        .scalars()
        .all()
    )
    session.execute(
        text(
            "update posting_embeddings set organization_id = :sid"
            " where organization_id = any(:dups)"
        ),
        {"sid": survivor_id, "dups": dups},
    )
    # Earlier merges into a duplicate now point at the survivor (no chains to follow).
    session.execute(
        text(
            "update organizations set merged_into_id = :sid, updated_at = now()"
            " where id = any(:dups) or merged_into_id = any(:dups)"
        ),
        {"sid": survivor_id, "dups": dups},
    )
    log.info("merged organizations %s into %d (%d postings moved)", dups, survivor_id, len(moved))
    return list(moved)


def dedup_organization(session: Session, org_id: int) -> tuple[int, list[int], list[int]]:
    """Merge `org_id` and its duplicates into the oldest of them.

    Returns (survivor id, merged ids, moved posting ids). An organization already merged
    resolves to its survivor.
    """
    merged_into = session.execute(
        text("select merged_into_id from organizations where id = :id"), {"id": org_id}
    ).scalar()
    if merged_into is not None:
        return int(merged_into), [], []
    dups = find_duplicates(session, org_id)
    if not dups:
        return org_id, [], []
    group = sorted({org_id, *(d.organization_id for d in dups)})
    survivor = group[0]
    # Enrichment dedups many organizations at once: two tasks can find the same pair. The
    # first to lock the survivor merges; the second then sees the others already merged.
    session.execute(
        text("select pg_advisory_xact_lock(hashtext('hirehound.org-merge'), :id)"),
        {"id": survivor},
    )
    others = list(
        session.scalars(
            text(
                "select id from organizations where id = any(:ids) and merged_into_id is null "
                "order by id"
            ),
            {"ids": [i for i in group if i != survivor]},
        )
    )
    if not others:
        return survivor, [], []
    return survivor, others, merge_organizations(session, survivor, others)
