"""Hot-path organization matching against real PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from hirehound.orgs import match_or_create
from hirehound.settings import Settings
from hirehound.storage import db
from hirehound.storage.models import Organization, OrganizationAlias

pytestmark = pytest.mark.integration


def test_same_legal_name_one_organization(clean_db: Settings) -> None:
    with db.transaction() as s:
        ids = match_or_create(
            s, [("1Password, Inc.", None), ("1password", None), ("Acme Corp", "https://acme.com")]
        )
    assert ids[0] == ids[1] and ids[2] != ids[0]
    with db.transaction() as s:
        again = match_or_create(s, [("1PASSWORD", None), ("ACME CORPORATION", None)])
        acme = s.get(Organization, ids[2])
        assert acme is not None and acme.domain == "acme.com"
        assert (
            s.scalar(
                select(OrganizationAlias.organization_id).filter_by(alias_normalized="1password")
            )
            == ids[0]
        )
    assert again == [ids[0], ids[2]]


def test_domain_then_alias(clean_db: Settings) -> None:
    with db.transaction() as s:
        [acme] = match_or_create(s, [("Acme", "acme.com")])
    with db.transaction() as s:
        # Another spelling on the same website joins it and becomes an alias...
        [other] = match_or_create(s, [("Acme Rockets International", "www.acme.com")])
        assert other == acme
        assert s.get(Organization, acme).aliases == ["Acme Rockets International"]
    with db.transaction() as s:
        # ...so later postings without a domain find it through the alias table.
        assert match_or_create(s, [("Acme Rockets International Ltd", None)]) == [acme]
        # An ATS host is not the employer's domain.
        [x] = match_or_create(s, [("Zeta", "https://boards.greenhouse.io/zeta")])
        [y] = match_or_create(s, [("Omega", "https://boards.greenhouse.io/omega")])
        assert x != y


def test_two_spellings_new_in_one_chunk_share_domain(clean_db: Settings) -> None:
    with db.transaction() as s:
        ids = match_or_create(s, [("Initech", "initech.com"), ("Initech Software", "initech.com")])
    assert ids[0] == ids[1]


def test_merged_organization_resolves_to_survivor(clean_db: Settings) -> None:
    with db.transaction() as s:
        a, b = match_or_create(s, [("Globex", None), ("Globex Holdings", None)])
        s.execute(
            text("update organizations set merged_into_id = :a where id = :b"), {"a": a, "b": b}
        )
    with db.transaction() as s:
        assert match_or_create(s, [("Globex Holdings", None)]) == [a]


def test_unusable_names_get_none(clean_db: Settings) -> None:
    with db.transaction() as s:
        assert match_or_create(s, [("", None), ("---", None)]) == [None, None]
        assert match_or_create(s, []) == []


def test_concurrent_workers_create_each_organization_once(clean_db: Settings) -> None:
    names = [(f"Company {i} Inc.", None) for i in range(300)]
    results: list[list[int | None]] = []
    barrier = threading.Barrier(2)

    def worker(chunk: list[tuple[str, str | None]]) -> None:
        with db.transaction() as s:
            barrier.wait()
            results.append(match_or_create(s, chunk))

    threads = [
        threading.Thread(target=worker, args=(names,)),
        threading.Thread(target=worker, args=(list(reversed(names)),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2
    assert sorted(results[0]) == sorted(results[1])  # type: ignore[type-var]
    with db.transaction() as s:
        assert s.scalar(text("select count(*) from organizations")) == 300


def test_chunk_cost_well_under_a_millisecond_per_posting(clean_db: Settings) -> None:
    names = [(f"Employer {i % 400}, LLC", f"employer{i % 400}.com") for i in range(256)]
    with db.transaction() as s:
        match_or_create(s, names)
    start = time.perf_counter()
    for _ in range(5):
        with db.transaction() as s:
            match_or_create(s, names)
    per_posting_ms = (time.perf_counter() - start) / (5 * 256) * 1000
    assert per_posting_ms < 0.5, per_posting_ms
