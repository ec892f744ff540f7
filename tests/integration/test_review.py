"""Spam through the whole pipeline: no bypass through duplicates, one verdict per cluster, and
an operator's review through the CLI (real PostgreSQL, real Prefect)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.cli import main
from hirehound.settings import Settings
from hirehound.storage import db

pytestmark = pytest.mark.integration

BODY = (
    "<h2>About the role</h2><p>We are hiring a backend engineer to build our payments "
    "platform in Python and PostgreSQL. You will own services end to end, from design "
    "reviews to on-call, and work closely with product and data teams.</p><ul><li>Design "
    "APIs used by thousands of merchants</li><li>Run Kubernetes services in three regions"
    "</li><li>Mentor engineers and review code</li></ul><h3>Benefits</h3><p>Health "
    "insurance, 401k matching, equity and a yearly learning budget.</p>"
)
SCAM = (
    "<p>Work from home and earn $5000 weekly! No experience needed, no interview. "
    "Pay a small registration fee of $50 to receive your starter kit, then cash the "
    "checks we mail you and send the remaining money back to us via Western Union. "
    "Contact our hiring manager on WhatsApp +1 555 0100 or Telegram to start today. "
    "Send a copy of your ID and your bank account details to get paid.</p>"
)


def _generic(**over: Any) -> dict[str, Any]:
    rec = {
        "source": "testboard", "source_id": "1", "url": "https://jobs.example.com/acme/1",
        "title": "Backend Engineer", "company": "Acme Payments, Inc.",
        "location": "Berlin, Germany", "remote": False, "employment_type": "Full-time",
        "date_posted": "2026-11-01", "description_html": BODY, "description": None,
    }
    rec.update(over)
    return rec


def _write(path: Path, records: list[dict[str, Any]]) -> str:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return str(path)


def _rows() -> dict[str, Any]:
    with db.transaction() as s:
        return {
            r.source_id: r
            for r in s.execute(
                text("select id, source_id, status, status_reason, is_spam, spam_score, "
                     "spam_reasons, cluster_id, dedup_kind from postings")
            )
        }


@pytest.fixture
def ingest(clean_db: Settings, prefect_harness: None, tmp_path: Path) -> Any:
    from flows.ingest import ingest_postings

    def run(records: list[dict[str, Any]], name: str) -> dict[str, int]:
        return ingest_postings(targets=[_write(tmp_path / f"{name}.jsonl.gz", records)])

    return run


def _no_spam_published() -> None:
    with db.transaction() as s:
        bad = s.execute(
            text("select count(*) from postings where status = 'active' and "
                 "(is_spam or spam_score >= 0.5) and not ('review:approved' = "
                 "any(coalesce(spam_reasons, cast(array[] as text[]))))")
        ).scalar()
    assert bad == 0


def test_scam_text_on_a_legitimate_url_is_scored_and_held(ingest: Any) -> None:
    ingest([_generic(source_id="legit")], "a")
    # Same URL (tracking parameter added), title, company and place; a scam's text.
    ingest([_generic(source="otherboard", source_id="scam", description_html=SCAM,
                     url="https://jobs.example.com/acme/1?utm_source=x")], "b")
    rows = _rows()
    assert rows["legit"].status == "active"
    scam = rows["scam"]
    assert scam.dedup_kind != "exact" or scam.cluster_id != rows["legit"].cluster_id
    assert scam.spam_score >= 0.5 and scam.status in ("held", "spam")
    assert not any(r.startswith("same_text_as") for r in scam.spam_reasons)
    _no_spam_published()


def test_same_text_copy_inherits_and_cluster_verdict_is_consistent(ingest: Any) -> None:
    ingest([_generic(source_id="legit")], "a")
    # An exact copy (same normalized text, other board) inherits the verdict.
    ingest([_generic(source="otherboard", source_id="copy", company="Acme Payments",
                     url="https://board.example.com/j/9?utm_source=feed")], "b")
    rows = _rows()
    assert rows["copy"].dedup_kind == "exact"
    assert any(r.startswith("same_text_as:") for r in rows["copy"].spam_reasons)
    assert rows["copy"].status == "active"
    # A scam copy that joins the cluster (same job, scam lines added) holds the published
    # members: one job, one verdict.
    scam_text = BODY + SCAM
    ingest([_generic(source="thirdboard", source_id="scamcopy", description_html=scam_text,
                     url="https://scam.example.com/x")], "c")
    rows = _rows()
    if rows["scamcopy"].cluster_id == rows["legit"].cluster_id:
        assert rows["legit"].status == "held" and rows["copy"].status == "held"
    assert rows["scamcopy"].status in ("held", "spam")
    _no_spam_published()


def test_review_approve_and_reject_through_the_cli(
    ingest: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest([_generic(source_id="scam1", description_html=SCAM, title="Data Entry Clerk"),
            _generic(source_id="scam2", description_html=SCAM.replace("weekly", "a week"),
                     title="Package Handler", company="Quick Jobs LLC",
                     url="https://jobs.example.com/q/2")], "a")
    rows = _rows()
    ids = {k: r.id for k, r in rows.items()}
    flagged = [k for k, r in rows.items() if r.status in ("held", "spam")]
    assert flagged == ["scam1", "scam2"] or sorted(flagged) == ["scam1", "scam2"]
    held = [k for k in flagged if rows[k].status == "held"]

    assert main(["review", "list", "--limit", "10"]) == 0
    out = capsys.readouterr().out
    for k in held:
        assert str(ids[k]) in out

    assert main(["review", "approve", str(ids["scam1"])]) == 0
    assert main(["review", "reject", str(ids["scam2"])]) == 0
    assert main(["review", "reject", "999999"]) == 1
    capsys.readouterr()
    rows = _rows()
    assert rows["scam1"].status == "active" and not rows["scam1"].is_spam
    assert "review:approved" in rows["scam1"].spam_reasons
    assert rows["scam2"].status == "spam" and rows["scam2"].is_spam
    assert "review:rejected" in rows["scam2"].spam_reasons

    assert main(["review", "list", "--spam"]) == 0
    assert str(ids["scam2"]) in capsys.readouterr().out
    # The rejected posting is known spam now: a reworded copy elsewhere is flagged by
    # similarity as well as by its own words.
    ingest([_generic(source="otherboard", source_id="scam3", title="Warehouse Helper",
                     company="Other Co", url="https://other.example.com/3",
                     description_html=SCAM.replace("$50", "$45"))], "b")
    rows = _rows()
    assert rows["scam3"].status in ("held", "spam")
    # Approval stands while the text is unchanged (a re-run does not hold it again).
    assert rows["scam1"].status == "active"
    _no_spam_published()


def test_cluster_verdict_moves_published_members_and_review_undoes_it(clean_db: Settings) -> None:
    from hirehound.ingest import publish
    from hirehound.scoring import CLUSTER_HOLD, approve, reject
    from tests.factories import add_posting

    ids = [add_posting(f"c{i}") for i in range(3)]
    with db.transaction() as s:
        cid = s.execute(text("insert into duplicate_clusters (canonical_posting_id, size) "
                             "values (:c, 3) returning id"), {"c": ids[0]}).scalar_one()
        s.execute(text("update postings set cluster_id = :c, quality_score = 0.9, "
                       "spam_score = 0.05, is_spam = false where id = any(:ids)"),
                  {"c": cid, "ids": ids})
        # The newcomer's own text reaches the held level.
        s.execute(text("update postings set spam_score = 0.7, spam_reasons = '{model:0.6}' "
                       "where id = :i"), {"i": ids[2]})
        publish(s, [ids[2]])

    def status() -> list[tuple[str, str | None]]:
        with db.transaction() as s:
            return [tuple(r) for r in s.execute(  # type: ignore[misc]
                text("select status, status_reason from postings where id = any(:ids) "
                     "order by id"), {"ids": ids})]

    assert status() == [("held", CLUSTER_HOLD), ("held", CLUSTER_HOLD),
                        ("held", "suspected spam: model:0.6")]
    with db.transaction() as s:
        approve(s, [ids[2]])
    assert [st for st, _ in status()] == ["active", "active", "active"]
    # Re-publishing the approved posting does not hold it again.
    with db.transaction() as s:
        publish(s, [ids[2]])
    assert [st for st, _ in status()] == ["active", "active", "active"]
    with db.transaction() as s:
        reject(s, [ids[2]])
    assert status() == [("held", CLUSTER_HOLD), ("held", CLUSTER_HOLD),
                        ("spam", "spam: rejected in review")]
