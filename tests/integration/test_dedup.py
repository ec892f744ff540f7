"""Dedup stages, clustering and revalidation against the real database (embedded PostgreSQL)."""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from hirehound import dedup
from hirehound.dedup import DedupDecision
from hirehound.settings import Settings
from hirehound.storage import db

pytestmark = pytest.mark.integration

_ids = itertools.count(1)
_VOCAB = (
    "build ship scale design review mentor own lead craft improve measure debug deploy "
    "service platform pipeline customer product data model api system team roadmap quality "
    "reliable fast secure modern clear simple robust elegant distributed realtime mobile web "
    "python rust go kotlin swift postgres kafka cloud edge network storage compute billing "
    "growth payments search ranking insight metric incident oncall latency budget partner"
)
_WORDS = _VOCAB.split()


def paragraph(seed: int, n: int = 60) -> str:
    """A deterministic pseudo-sentence block: different seeds share almost no 3-grams."""
    rng = random.Random(seed)
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def description(role_seed: int, *, boilerplate: bool = True, paras: int = 6) -> str:
    about = (
        "About Acme. Acme builds tools for teams that ship software every day and we are "
        "backed by great investors. We offer health insurance, equity, a learning budget and "
        "flexible hours. Acme is an equal opportunity employer and values diversity."
    )
    body = "\n\n".join(paragraph(role_seed * 100 + i) for i in range(paras))
    return f"{about}\n\n{body}" if boilerplate else body


def org(session: Any, name: str) -> int:
    return session.execute(
        text(
            "insert into organizations (name, normalized_name) values (:n, :k) "
            "on conflict (normalized_name) do update set name = excluded.name returning id"
        ),
        {"n": name, "k": name.lower()},
    ).scalar_one()


def posting(session: Any, **fields: Any) -> int:
    """Insert a raw row and its normalized posting; returns the id."""
    n = next(_ids)
    row = {
        "source": "test",
        "source_id": f"p{n}",
        "url": f"https://jobs.example.com/acme/{n}",
        "title": "Senior Backend Engineer",
        "company": "Acme",
        "organization_id": None,
        "location_raw": "Berlin, Germany",
        "city": "Berlin",
        "region": None,
        "country": "DE",
        "remote": False,
        "description_text": description(1),
        "date_posted": "2025-10-01T00:00:00Z",
    }
    row.update(fields)
    pid = session.execute(
        text(
            "insert into raw_postings (source, source_id, url, payload, record, content_hash) "
            "values (:source, :source_id, :url, '{}'::jsonb, '{}'::jsonb, 'x') returning id"
        ),
        row,
    ).scalar_one()
    cols = ", ".join(row)
    session.execute(
        text(f"insert into postings (id, {cols}) values (:id, {', '.join(':' + c for c in row)})"),
        {"id": pid, **row},
    )
    return pid


def embed(session: Any, pid: int, vector: np.ndarray, organization_id: int | None) -> None:
    session.execute(
        text(
            "insert into posting_embeddings (posting_id, organization_id, combined) "
            "values (:p, :o, :v)"
        ),
        {"p": pid, "o": organization_id, "v": vector.astype(np.float32)},
    )


def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with db.transaction() as session:
        return fn(session, *args, **kwargs)


def cluster_of(*ids: int) -> list[int | None]:
    with db.transaction() as s:
        rows = dict(
            s.execute(
                text("select id, cluster_id from postings where id = any(:i)"), {"i": list(ids)}
            ).all()
        )
    return [rows[i] for i in ids]


def only(decisions: list[DedupDecision], pid: int) -> DedupDecision:
    return next(d for d in decisions if d.posting_id == pid)


@pytest.fixture
def acme(clean_db: Settings) -> int:
    return run(org, "Acme")


# --- stage 1 and 2 ------------------------------------------------------------------------------


def test_exact_stage_canonical_url_and_content_hash(acme: int) -> None:
    with db.transaction() as s:
        original = posting(s, organization_id=acme, url="https://jobs.ashbyhq.com/acme/42")
        tracked = posting(
            s,
            organization_id=acme,
            source="board",
            url="https://jobs.ashbyhq.com/acme/42?utm_source=board&gh_src=x",
        )
        # Same URL, edited text: not an exact copy (the URL alone never decides).
        edited = posting(
            s,
            organization_id=acme,
            source="board2",
            url="https://jobs.ashbyhq.com/acme/42?utm_source=x",
            description_text=description(1) + "\n\nApply now on our board.",
        )
        # Same text in another format: only case and Markdown marks differ.
        markdown = posting(
            s,
            organization_id=acme,
            source="md",
            company="Acme, Inc.",
            description_text=description(1).upper().replace("About Acme.".upper(), "## ABOUT ACME"),
        )
    first = run(dedup.check, [original])
    assert first == [DedupDecision(original, "unique")]
    out = run(dedup.check, [tracked, markdown, edited])
    assert only(out, tracked) == DedupDecision(tracked, "exact", (original,), "canonical_url")
    assert only(out, edited).reason.startswith("lsh:")
    md = only(out, markdown)
    assert md.kind == "exact" and md.reason == "content_hash" and md.candidates[0] == original
    with db.transaction() as s:
        url, h = s.execute(
            text("select canonical_url, content_hash from postings where id = :i"),
            {"i": tracked},
        ).one()
    assert url == "jobs.ashbyhq.com/acme/42" and h


def test_near_stage_edited_repost_and_truncated_copy(acme: int) -> None:
    base = description(2)
    edited = base.replace(paragraph(200), "") + "\n\nWe are hiring fast, join us!"
    truncated = base[: int(len(base) * 0.45)] + "... Read more"
    with db.transaction() as s:
        original = posting(s, organization_id=acme, description_text=base)
        repost = posting(
            s, organization_id=acme, title="Sr. Backend Engineer (Remote)", description_text=edited
        )
        cut = posting(s, organization_id=acme, company="ACME Ltd", description_text=truncated)
    run(dedup.check, [original])
    out = run(dedup.check, [repost, cut])
    assert only(out, repost).kind == "exact" and only(out, repost).reason.startswith("lsh:")
    assert only(out, repost).stage == "near"
    assert only(out, cut).kind == "exact" and only(out, cut).reason.startswith("containment:")
    assert only(out, cut).candidates[0] == original


def test_copies_within_one_chunk_point_at_the_earlier_posting(acme: int) -> None:
    with db.transaction() as s:
        a = posting(s, organization_id=acme)
        b = posting(s, organization_id=acme, source="copy")
        c = posting(s, organization_id=acme, source="copy2", title="SENIOR BACKEND ENGINEER")
    out = run(dedup.check, [c, a, b])
    assert only(out, a).kind == "unique"
    assert only(out, b).candidates == (a,)
    assert only(out, c).kind == "exact" and set(only(out, c).candidates) == {a, b}


# --- hard negatives -----------------------------------------------------------------------------


def test_same_requisition_in_another_city_is_another_job(acme: int) -> None:
    with db.transaction() as s:
        berlin = posting(s, organization_id=acme)
        paris = posting(
            s, organization_id=acme, location_raw="Paris, France", city="Paris", country="FR"
        )
        paris_copy = posting(
            s,
            organization_id=acme,
            source="board",
            location_raw="Paris",
            city="Paris",
            country="FR",
        )
    out = run(dedup.check, [berlin, paris, paris_copy])
    assert only(out, berlin).kind == "unique"
    assert only(out, paris).kind == "unique"
    assert only(out, paris_copy).candidates == (paris,)


def test_same_title_at_another_company_is_another_job(acme: int) -> None:
    with db.transaction() as s:
        other = org(s, "Globex")
        a = posting(s, organization_id=acme)
        b = posting(s, organization_id=other, company="Globex Corporation")
    out = run(dedup.check, [a, b])
    assert [d.kind for d in out] == ["unique", "unique"]


def test_shared_boilerplate_never_makes_two_roles_one(acme: int) -> None:
    # Identical text, different roles (level, specialty): the title decides.
    with db.transaction() as s:
        ids = [
            posting(s, organization_id=acme, title=t)
            for t in (
                "Senior Backend Engineer",
                "Staff Backend Engineer",
                "Senior Backend Engineer, Payments",
                "Backend Engineer II",
                "Backend Engineer III",
            )
        ]
        frontend = posting(
            s,
            organization_id=acme,
            title="Senior Frontend Engineer",
            description_text=description(3),
        )
    out = run(dedup.check, [*ids, frontend])
    assert [d.kind for d in out] == ["unique"] * 6


# --- stage 3: semantic ------------------------------------------------------------------------


def test_deep_check_confirms_with_the_embedding_and_rejects_without(acme: int) -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=256)
    # Same role, same place, text rewritten: only a third of the text is shared.
    base = description(4, paras=6)
    rewritten = "\n\n".join([*base.split("\n\n")[:3], description(5, boilerplate=False, paras=4)])
    with db.transaction() as s:
        original = posting(s, organization_id=acme, description_text=base)
        near_copy = posting(s, organization_id=acme, source="b", description_text=rewritten)
        far_copy = posting(s, organization_id=acme, source="c", description_text=rewritten + ".")
        embed(s, original, v, acme)
        embed(s, near_copy, v + rng.normal(scale=0.05, size=256), acme)
        embed(s, far_copy, rng.normal(size=256), acme)
    run(dedup.check, [original])
    first = run(dedup.check, [near_copy])
    assert first[0].kind == "possible" and first[0].candidates == (original,)
    decided = run(dedup.deep_check, first)
    assert decided[0].kind == "exact" and decided[0].reason.startswith("semantic:")
    assert decided[0].stage == "semantic"
    summary = run(dedup.assign_clusters, [DedupDecision(original, "unique"), *decided])
    assert summary.new_clusters == 1 and summary.attached == 1
    # The third copy's vector points elsewhere: "possible" becomes "unique".
    out = run(dedup.deep_check, [DedupDecision(far_copy, "possible", (original,), "lsh:0.30")])
    assert out[0].kind == "unique"


# --- clusters ----------------------------------------------------------------------------------


def _clusters() -> dict[int, tuple[int, int]]:
    with db.transaction() as s:
        return {
            r.id: (r.canonical_posting_id, r.size)
            for r in s.execute(text("select * from duplicate_clusters"))
        }


def test_clusters_out_of_order_arrival_and_canonical(acme: int) -> None:
    base = description(6)
    with db.transaction() as s:
        # The truncated aggregator copy arrives first, the full original a day later.
        cut = posting(
            s,
            organization_id=acme,
            source="agg",
            description_text=base[: len(base) // 2] + "... Read more",
        )
        full = posting(
            s,
            organization_id=acme,
            description_text=base,
            employment_type="FULL_TIME",
            date_posted="2025-10-02T00:00:00Z",
        )
    d1 = run(dedup.check, [cut])
    run(dedup.assign_clusters, d1)
    d2 = run(dedup.check, [full])
    assert d2[0].kind == "exact" and d2[0].candidates == (cut,)
    summary = run(dedup.assign_clusters, d2)
    assert summary == dedup.ClusterSummary(new_clusters=0, attached=1, merged=0)
    (cid,) = set(cluster_of(cut, full))
    assert _clusters() == {cid: (full, 2)}  # most complete wins over earliest
    # Re-running is idempotent.
    assert run(dedup.assign_clusters, d2) == dedup.ClusterSummary()
    with db.transaction() as s:
        kinds = dict(s.execute(text("select id, dedup_kind from postings")).all())
    assert kinds == {cut: "unique", full: "near"}


def test_a_posting_bridging_two_clusters_merges_them(acme: int) -> None:
    base = description(7, paras=8)
    parts = base.split("\n\n")
    head = "\n\n".join(parts[:5])
    tail = "\n\n".join(parts[5:])
    with db.transaction() as s:
        first = posting(s, organization_id=acme, source="a", description_text=head + "...")
        second = posting(s, organization_id=acme, source="b", description_text=tail)
        bridge = posting(s, organization_id=acme, source="c", description_text=base)
    run(dedup.assign_clusters, run(dedup.check, [first]))
    run(dedup.assign_clusters, run(dedup.check, [second]))
    a, b = cluster_of(first, second)
    assert a != b
    out = run(dedup.check, [bridge])
    assert out[0].kind == "exact" and set(out[0].candidates) == {first, second}
    summary = run(dedup.assign_clusters, out)
    assert summary.merged == 1 and summary.attached == 1
    assert len(set(cluster_of(first, second, bridge))) == 1
    ((canonical, size),) = _clusters().values()
    assert size == 3 and canonical == bridge


def test_revalidation_splits_a_member_that_no_longer_matches(acme: int) -> None:
    with db.transaction() as s:
        a = posting(s, organization_id=acme)
        b = posting(s, organization_id=acme, source="copy")
        c = posting(s, organization_id=acme, source="copy2")
    out = run(dedup.check, [a, b, c])
    run(dedup.assign_clusters, out)
    assert len(set(cluster_of(a, b, c))) == 1
    # An edit turns one copy into another role.
    with db.transaction() as s:
        s.execute(
            text("update postings set title = 'Staff Backend Engineer' where id = :i"), {"i": c}
        )
    summary = run(dedup.revalidate_clusters)
    assert summary.clusters == 1 and summary.split_off == 1 and summary.new_clusters == 1
    ca, cb, cc = cluster_of(a, b, c)
    assert ca == cb != cc
    sizes = sorted(size for _, size in _clusters().values())
    assert sizes == [1, 2]
    with db.transaction() as s:
        kind, of = s.execute(
            text("select dedup_kind, dedup_of from postings where id = :i"), {"i": c}
        ).one()
    assert (kind, of) == ("unique", None)


def test_two_workers_on_one_organization_serialize(acme: int) -> None:
    """Two concurrent transactions with copies of one job: the lock makes the second see the
    first, so the copy is not missed (without it both would answer "unique")."""
    with db.transaction() as s:
        a = posting(s, organization_id=acme)
        b = posting(s, organization_id=acme, source="copy")
    results: dict[str, list[DedupDecision]] = {}
    started = threading.Event()

    def first() -> None:
        with db.transaction() as s:
            results["a"] = dedup.check(s, [a])
            dedup.assign_clusters(s, results["a"])
            started.set()
            time.sleep(0.5)  # hold the lock while the other worker tries

    def second() -> None:
        started.wait()
        with db.transaction() as s:
            results["b"] = dedup.check(s, [b])
            dedup.assign_clusters(s, results["b"])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results["a"][0].kind == "unique"
    assert results["b"][0].kind == "exact" and results["b"][0].candidates == (a,)
    assert len(set(cluster_of(a, b))) == 1
