"""The ingestion flows end to end: real PostgreSQL, real Prefect, real (bundled) postings."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.ingest import export_postings
from hirehound.settings import Settings
from hirehound.sources import demo_targets
from hirehound.storage import db

pytestmark = pytest.mark.integration

BODY = (
    "<h2>About the role</h2><p>We are hiring a backend engineer to build our payments "
    "platform in Python and PostgreSQL.</p><ul><li>Design APIs</li><li>Run Kubernetes "
    "services</li><li>Mentor engineers</li></ul><h3>Benefits</h3><p>Health, 401k, equity.</p>"
)


def _generic(**over: Any) -> dict[str, Any]:
    rec = {
        "source": "testboard", "source_id": "1", "url": "https://jobs.example.com/1",
        "title": "Backend Engineer", "company": "Acme Payments, Inc.",
        "location": "Berlin, Germany", "remote": False, "employment_type": "Full-time",
        "date_posted": "2026-11-01", "description_html": BODY, "description": None,
    }
    rec.update(over)
    return rec


def _write_jsonl(path: Path, records: list[Any]) -> str:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return str(path)


def _export() -> list[dict[str, Any]]:
    buf = io.StringIO()
    with db.transaction() as s:
        export_postings(s, buf)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def _scalar(sql: str, **params: Any) -> Any:
    with db.transaction() as s:
        return s.execute(text(sql), params).scalar()


@pytest.fixture
def ingest(clean_db: Settings, prefect_harness: None) -> Any:
    from flows.ingest import ingest_postings

    return ingest_postings


def test_demo_sample_ingests_with_every_step_output(ingest: Any) -> None:
    counts = ingest(targets=[str(p) for _, p in demo_targets()])
    assert counts["read"] >= 80
    assert counts["processed"] == counts["read"] - counts.get("dead_letters_parse", 0)
    rows = _export()
    assert len(rows) == counts["processed"] - _scalar("select count(*) from dead_letters")
    for r in rows:
        assert r["title"] and r["description_text"], r["id"]
        assert "<script" not in (r["description_html"] or "")
        assert r["quality_score"] is not None and r["spam_score"] is not None
        assert r["status"] in {"active", "held", "expired", "spam"}
        assert r["cluster_id"] is not None
    # Real cross-board copies were recognized: fewer clusters than postings.
    assert len({r["cluster_id"] for r in rows}) < len(rows)
    assert sum(r["canonical"] for r in rows) == len({r["cluster_id"] for r in rows})
    # One verdict per job: spam is never published, nor is a copy of a held or spam posting.
    assert not [r for r in rows if r["is_spam"] and r["status"] == "active"]
    flagged = {r["cluster_id"] for r in rows if r["status"] == "spam"
               or (r["status"] == "held" and "spam" in (r["status_reason"] or ""))}
    assert not [r for r in rows if r["cluster_id"] in flagged and r["status"] == "active"]


def test_rerun_is_idempotent(ingest: Any, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl.gz", [_generic(source_id=str(i)) for i in range(3)])
    first = ingest(targets=[path])
    before = _scalar("select count(*) from postings"), _scalar("select count(*) from raw_postings")
    second = ingest(targets=[path])
    assert first["processed"] == 3 and second.get("processed", 0) == 0
    assert second["unchanged"] == 3
    assert (_scalar("select count(*) from postings"),
            _scalar("select count(*) from raw_postings")) == before
    # A changed payload is reprocessed in place, not duplicated.
    path = _write_jsonl(tmp_path / "b.jsonl.gz", [_generic(source_id="0", title="Staff Engineer")])
    assert ingest(targets=[path])["processed"] == 1
    assert _scalar("select title from postings where source_id = '0'") == "Staff Engineer"
    assert _scalar("select count(*) from postings") == 3


def test_each_dedup_branch(ingest: Any, tmp_path: Path) -> None:
    original = _generic(source_id="orig")
    # Exact: the same posting on another board (tracking parameters on the same URL).
    exact = _generic(source="otherboard", source_id="x1",
                     url="https://jobs.example.com/1?utm_source=feed", company="Acme Payments")
    # Possible: edited repost (a bullet dropped, a line added).
    edited = _generic(source_id="edit", url="https://jobs.example.com/2",
                      description_html=BODY.replace("<li>Mentor engineers</li>", "")
                      + "<p>Apply today!</p>")
    # Unique: another role at the same company sharing the boilerplate.
    other = _generic(source_id="other", url="https://jobs.example.com/3", title="Data Analyst",
                     description_html=BODY.replace("backend engineer", "data analyst")
                     .replace("build our payments platform in Python and PostgreSQL",
                              "own reporting and forecasting in SQL and Looker"))
    path = _write_jsonl(tmp_path / "d.jsonl.gz", [original, exact, edited, other])
    counts = ingest(targets=[path])
    assert counts.get("dedup_exact", 0) >= 1
    assert counts.get("dedup_unique", 0) >= 2
    rows = {r["source_id"]: r for r in _export()}
    assert rows["x1"]["cluster_id"] == rows["orig"]["cluster_id"]
    assert rows["x1"]["skills"] == rows["orig"]["skills"]  # inherited, not recomputed
    assert rows["edit"]["cluster_id"] == rows["orig"]["cluster_id"]
    assert rows["other"]["cluster_id"] != rows["orig"]["cluster_id"]


def test_bad_input_is_sanitized_or_dead_lettered(ingest: Any, tmp_path: Path) -> None:
    records: list[Any] = [
        _generic(source_id="script", description_html=BODY + "<script>alert(1)</script>"
                 "<img src=x onerror=alert(2)>"),
        _generic(source_id="broken", description_html="<div><p>Unclosed <b>bold <ul><li>item"
                 " one<li>item two</div></td>"),
        _generic(source_id="huge", description_html="<p>" + "word " * 200_000 + "</p>"),
        _generic(source_id="notitle", title="  "),
        _generic(source_id="empty", description_html="<p> </p>", description=None),
        _generic(source_id="mojibake", description_html="<p>Weâ€™re hiring a caf\u00e9 "
                 "manager â€” apply now, with plenty of detail about the role.</p>"),
        "{this is not json",
        ["not", "an", "object"],
    ]
    counts = ingest(targets=[_write_jsonl(tmp_path / "bad.jsonl.gz", records)])
    rows = {r["source_id"]: r for r in _export()}
    assert {"script", "broken", "huge", "mojibake"} <= set(rows)
    assert "<script" not in rows["script"]["description_html"]
    assert "onerror" not in rows["script"]["description_html"]
    assert "alert(1)" not in rows["script"]["description_text"]
    assert "item two" in rows["broken"]["description_text"]
    assert len(rows["huge"]["description_text"]) <= Settings().max_description_chars
    assert "â€" not in rows["mojibake"]["description_text"]
    with db.transaction() as s:
        dead = s.execute(text("select step, source_id, detail from dead_letters")).all()
    steps = {(d.step, d.source_id) for d in dead}
    # A record without a title is refused by its source adapter; an empty text by cleaning.
    assert ("parse", "notitle") in steps and ("clean", "empty") in steps
    assert sum(1 for d in dead if d.step == "parse") == 3
    assert counts["dead_letters_parse"] == 3
    assert all(d.detail for d in dead)


def test_single_posting_flow(clean_db: Settings, prefect_harness: None) -> None:
    from flows.ingest import ingest_posting

    job = {"id": "abc-123", "title": "Platform Engineer", "location": "Remote - US",
           "isRemote": True, "employmentType": "FullTime",
           "publishedAt": "2026-11-20T10:00:00Z", "jobUrl": "https://jobs.ashbyhq.com/acme/abc",
           "descriptionHtml": BODY}
    counts = ingest_posting(payload={"apiVersion": "1", "jobs": [job]}, source="ashby",
                            origin="acme")
    assert counts["processed"] == 1
    row = _export()[0]
    assert row["source"] == "ashby" and row["title"] == "Platform Engineer"
    assert row["organization_name"] and row["status"] in {"active", "held"}


def test_possible_duplicate_takes_the_deep_check(ingest: Any, tmp_path: Path) -> None:
    # Same employer, title and place; the text rewritten (shingle similarity between the
    # "possible" and "near" thresholds): the flow embeds it and the semantic stage decides.
    rewrite = (
        "<p>Join Acme Payments as a backend engineer and build our payments platform in Python "
        "and PostgreSQL with a small team.</p><ul><li>Design and own APIs used by merchants</li>"
        "<li>Operate services on Kubernetes</li><li>Review code and mentor engineers</li></ul>"
        "<p>We offer health insurance, a 401k match and equity.</p>"
    )
    path = _write_jsonl(tmp_path / "p.jsonl.gz", [
        _generic(source_id="orig"),
        _generic(source="otherboard", source_id="p1", url="https://agg.example.com/9",
                 description_html=rewrite),
    ])
    counts = ingest(targets=[path])
    assert counts["dedup_possible"] == 1 and counts["published"] == 2
    rows = {r["source_id"]: r for r in _export()}
    # Decided by the deep check (here: different enough to stay its own job), fully processed.
    assert rows["p1"]["dedup_kind"] in {"unique", "semantic"}
    assert rows["p1"]["skills"] and rows["p1"]["quality_score"] is not None


def test_a_run_announces_only_the_organizations_it_created(ingest: Any, tmp_path: Path) -> None:
    """Another run's new organizations (created meanwhile) are that run's to announce."""
    from hirehound.orgs import match_or_create

    with db.transaction() as s:
        other = match_or_create(s, [("Someone Else GmbH", None)], created_by="another-run")[0]
    counts = ingest(targets=[_write_jsonl(tmp_path / "one.jsonl.gz", [_generic()])])
    assert counts["new_organizations"] == 1
    runs = dict(_rows_of("select name, created_by_run from organizations"))
    assert runs["Someone Else GmbH"] == "another-run" and other is not None
    assert runs["Acme Payments, Inc."] not in (None, "another-run")


def test_one_enrichment_of_an_organization_at_a_time(clean_db: Settings) -> None:
    from hirehound.enrichment import release_organizations, select_organizations
    from hirehound.orgs import match_or_create

    with db.transaction() as s:
        org = match_or_create(s, [("Acme Payments, Inc.", None)])[0]
    assert org is not None
    with db.transaction() as s:
        assert select_organizations(s, org_ids=[org], claim_s=60) == [org]
    with db.transaction() as s:  # an overlapping run skips it
        assert select_organizations(s, org_ids=[org], claim_s=60) == []
        assert select_organizations(s, org_ids=[org]) == [org]  # a plain look-up still sees it
        release_organizations(s, [org])
    with db.transaction() as s:
        assert select_organizations(s, org_ids=[org], claim_s=60) == [org]


def _rows_of(sql: str) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql)))
