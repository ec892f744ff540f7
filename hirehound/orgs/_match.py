"""Hot-path organization matching for ingestion: a chunk of (name, domain) pairs -> ids.

Three statements per chunk whatever its size: one lookup (normalized name, then domain, then
alias), one `INSERT ... ON CONFLICT DO NOTHING` for the missing organizations, one for their
alias rows. Fuzzy matching is left to the enrichment dedup step (it would cost far more than
the ~1 ms per posting budget here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound.orgs._normalize import normalize_domain, normalize_name
from hirehound.storage.models import Organization, OrganizationAlias

log = logging.getLogger(__name__)

# Ranked: an exact normalized name beats a domain, which beats an alias. Merged organizations
# resolve to the survivor.
_LOOKUP = text(
    """
    select 0 as rank, o.normalized_name as key, coalesce(o.merged_into_id, o.id) as id
      from organizations o where o.normalized_name = any(:names)
    union all
    select 1, o.domain, o.id
      from organizations o where o.domain = any(:domains) and o.merged_into_id is null
    union all
    select 2, a.alias_normalized, a.organization_id
      from organization_aliases a where a.alias_normalized = any(:names)
    """
)


def match_or_create(
    session: Session,
    names: Sequence[tuple[str, str | None]],
    *,
    source: str = "posting",
    created_by: str | None = None,
) -> list[int | None]:
    """Organization id for each (company display name, company domain or None) pair.

    Creates the missing organizations (and their alias rows). Safe under concurrent workers:
    inserts are ordered by key and race through `ON CONFLICT`, then re-read. A name with
    nothing usable in it ("", "---") gets None.
    """
    keys = [normalize_name(name or "") for name, _ in names]
    domains = [normalize_domain(domain) for _, domain in names]
    wanted_names = sorted({k for k in keys if k})
    wanted_domains = sorted({d for d in domains if d})
    if not wanted_names:
        return [None] * len(names)

    by_name, by_domain, by_alias = _lookup(session, wanted_names, wanted_domains)

    resolved: dict[str, int] = {}
    new_aliases: dict[str, tuple[int, str]] = {}
    to_create: dict[str, tuple[str, str | None]] = {}
    domain_of_new: dict[str, str] = {}
    for key, domain, (display, _) in zip(keys, domains, names, strict=True):
        if not key or key in resolved:
            continue
        if key in by_name:
            resolved[key] = by_name[key]
        elif domain and domain in by_domain:
            # Same website, other spelling: remember the spelling so the next lookup is exact.
            resolved[key] = by_domain[domain]
            new_aliases[key] = (by_domain[domain], display.strip())
        elif key in by_alias:
            resolved[key] = by_alias[key]
        elif domain and domain in domain_of_new and domain_of_new[domain] != key:
            # Two spellings of a new organization in one chunk: the first creates it.
            continue
        else:
            to_create.setdefault(key, (display.strip(), domain))
            if domain:
                domain_of_new.setdefault(domain, key)

    if to_create:
        resolved.update(_create(session, to_create, source=source, created_by=created_by))
    # Spellings that shared a new organization's domain become its aliases.
    for key, domain, (display, _) in zip(keys, domains, names, strict=True):
        if key and key not in resolved and domain and domain in domain_of_new:
            owner = resolved.get(domain_of_new[domain])
            if owner is not None:
                resolved[key] = owner
                new_aliases[key] = (owner, display.strip())
    if new_aliases:
        _add_aliases(session, new_aliases, source=source)
    return [resolved.get(k) if k else None for k in keys]


def _lookup(
    session: Session, names: list[str], domains: list[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    found: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
    rows = session.execute(_LOOKUP, {"names": names, "domains": domains})
    for rank, key, org_id in rows:
        # Several organizations on one domain: take the oldest (lowest id), deterministically.
        table = found[rank]
        if key not in table or org_id < table[key]:
            table[key] = org_id
    return found


def _create(
    session: Session, to_create: dict[str, tuple[str, str | None]], *, source: str,
    created_by: str | None = None,
) -> dict[str, int]:
    keys = sorted(to_create)  # one order for every worker: no insert deadlocks
    rows: list[dict[str, object]] = [
        {
            "name": to_create[k][0] or k,
            "normalized_name": k,
            "domain": to_create[k][1],
            "website": f"https://{to_create[k][1]}" if to_create[k][1] else None,
            "aliases": [],
            "created_by_run": created_by,
        }
        for k in keys
    ]
    stmt = (
        insert(Organization)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["normalized_name"])
        .returning(Organization.normalized_name, Organization.id)
    )
    created = {key: org_id for key, org_id in session.execute(stmt)}
    missing = [k for k in keys if k not in created]
    if missing:
        # Another worker created them between our lookup and insert; read the winners.
        raced = session.execute(
            text(
                "select normalized_name, coalesce(merged_into_id, id) from organizations"
                " where normalized_name = any(:names)"
            ),
            {"names": missing},
        )
        created.update({key: org_id for key, org_id in raced})
    alias_rows = [
        {
            "alias_normalized": k,
            "organization_id": created[k],
            "alias": to_create[k][0] or k,
            "source": source,
        }
        for k in keys
        if k in created
    ]
    if alias_rows:
        session.execute(insert(OrganizationAlias).values(alias_rows).on_conflict_do_nothing())
    log.debug("created %d organizations", len(created) - len(missing))
    return created


def _add_aliases(session: Session, aliases: dict[str, tuple[int, str]], *, source: str) -> None:
    keys = sorted(aliases)
    session.execute(
        insert(OrganizationAlias)
        .values(
            [
                {
                    "alias_normalized": k,
                    "organization_id": aliases[k][0],
                    "alias": aliases[k][1] or k,
                    "source": source,
                }
                for k in keys
            ]
        )
        .on_conflict_do_nothing()
    )
    for key in keys:
        org_id, display = aliases[key]
        session.execute(
            text(
                "update organizations set aliases = array_append(aliases, :alias)"
                " where id = :id and not (:alias = any(aliases)) and name <> :alias"
            ),
            {"id": org_id, "alias": display},
        )
