"""Maintenance core against the real database, and the shared failure hook in a real flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from hirehound import maintenance
from hirehound.storage import db
from hirehound.storage.models import DailyStats, DeadLetter, Posting, PostingCheck, RawPosting
from tests.factories import add_posting
from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _posting(source_id: str, **kw: Any) -> int:
    return add_posting(source_id, now=NOW, **kw)


def _status(posting_id: int) -> str:
    with db.transaction() as session:
        return session.get(Posting, posting_id).status  # type: ignore[union-attr]


@pytest.fixture
def database(clean_db: Any) -> Any:
    db.configure(clean_db)
    return clean_db


def _seen(posting_id: int, days_ago: float) -> None:
    """Set when a fetch last saw the posting (the factory leaves the database's now())."""
    with db.transaction() as session:
        session.execute(
            text("update postings set last_seen_at = :t where id = :id"),
            {"t": NOW - timedelta(days=days_ago), "id": posting_id},
        )


def _reason(posting_id: int) -> str | None:
    with db.transaction() as session:
        return session.get(Posting, posting_id).status_reason  # type: ignore[union-attr]


def test_expiry_follows_the_source_not_the_posted_date(database: Any) -> None:
    # Posted a year ago, still listed by its board (seen today): live.
    old_but_listed = _posting("old-listed", age_days=365)
    _seen(old_but_listed, 0)
    # Just inside the window (seen max_age_days - 1 ago): live.
    seen_recently = _posting("recent", age_days=3)
    _seen(seen_recently, 59)
    # No fetch has seen it for max_age_days + 1: gone from its source.
    unseen = _posting("unseen", age_days=3)
    _seen(unseen, 61)
    held_unseen = _posting("held", status="held", age_days=3)
    _seen(held_unseen, 61)
    # Seen today, but its valid_through passed: expired whatever the fetches say.
    past_valid = _posting("valid", age_days=3, valid_through=NOW - timedelta(hours=1))
    _seen(past_valid, 0)
    # Both rules hold: the reason names valid_through (checked first).
    both = _posting("both", age_days=3, valid_through=NOW - timedelta(days=90))
    _seen(both, 90)
    still_valid = _posting("still", age_days=365, valid_through=NOW + timedelta(days=1))
    _seen(still_valid, 0)
    removed_unseen = _posting("removed", status="removed", age_days=90)
    _seen(removed_unseen, 90)
    with db.transaction() as session:
        assert maintenance.expire_postings(session, now=NOW, max_age_days=60) == 4
    got = {
        name: (_status(i), _reason(i))
        for name, i in {
            "old_but_listed": old_but_listed,
            "seen_recently": seen_recently,
            "unseen": unseen,
            "held_unseen": held_unseen,
            "past_valid": past_valid,
            "both": both,
            "still_valid": still_valid,
            "removed_unseen": removed_unseen,
        }.items()
    }
    assert got == {
        "old_but_listed": ("active", None),
        "seen_recently": ("active", None),
        "unseen": ("expired", "not seen for 60 days"),
        "held_unseen": ("expired", "not seen for 60 days"),
        "past_valid": ("expired", "valid_through passed"),
        "both": ("expired", "valid_through passed"),
        "still_valid": ("active", None),
        "removed_unseen": ("removed", None),  # already dead: left alone
    }
    with db.transaction() as session:  # idempotent
        assert maintenance.expire_postings(session, now=NOW, max_age_days=60) == 0
    with pytest.raises(ValueError), db.transaction() as session:
        maintenance.expire_postings(session, now=NOW, max_age_days=0)


def test_recheck_removes_gone_postings_and_keeps_the_rest(database: Any) -> None:
    seen: list[str] = []

    def board(req: Request) -> Response:
        seen.append(f"{req.method} {req.path}")
        if req.path == "/gone":
            return Response(404)
        if req.path == "/head-refused" and req.method == "HEAD":
            return Response(405)
        if req.path == "/flaky":
            return Response(503)
        # No body for HEAD (the test server would write one and break keep-alive).
        return Response(200, b"" if req.method == "HEAD" else b"<html>job</html>")

    with serve(board) as base:
        ids = {
            name: _posting(name, url=f"{base}/{name}")
            for name in ("alive", "gone", "head-refused", "flaky")
        }
        with httpx.Client(timeout=5) as client:
            checker = maintenance.HttpLinkChecker(client, per_second=50, allow_private=True)
            result = maintenance.recheck_postings(db.transaction, checker, now=NOW, limit=10)
            # Loopback is refused unless allowed (posting URLs come from the outside).
            strict = maintenance.HttpLinkChecker(client, per_second=50)
            assert strict(f"{base}/alive").outcome == "unknown"
    assert (result.checked, result.alive, result.gone, result.unknown) == (4, 2, 1, 1)
    assert _status(ids["gone"]) == "removed"
    assert {_status(ids[n]) for n in ("alive", "head-refused", "flaky")} == {"active"}
    assert "GET /head-refused" in seen  # HEAD refused: fell back to GET
    with db.transaction() as session:
        checks = {c.posting_id: c for c in session.scalars(select(PostingCheck))}
    assert checks[ids["flaky"]].outcome == "unknown"
    assert checks[ids["flaky"]].consecutive_failures == 1
    assert checks[ids["gone"]].status_code == 404


def test_recheck_checker_paces_requests(database: Any) -> None:
    import time

    with serve(lambda req: Response(200)) as base, httpx.Client() as client:
        checker = maintenance.HttpLinkChecker(client, per_second=20, allow_private=True)
        t0 = time.monotonic()
        for _ in range(6):
            checker(f"{base}/x")
        # 6 requests at 20/s: the last one waits for 5 intervals (0.25 s).
        assert time.monotonic() - t0 >= 0.24


def test_archive_moves_old_payloads(database: Any) -> None:
    dead = _posting("dead", status="expired", age_days=400, updated_days=200)
    recent_dead = _posting("recent", status="expired", age_days=400, updated_days=10)
    live = _posting("live", age_days=400)
    with db.transaction() as session:
        result = maintenance.archive_old(
            session, now=NOW, archive_after_days=180, raw_payload_days=90
        )
    assert (result.archived_postings, result.archived_payloads) == (1, 1)
    assert [_status(i) for i in (dead, recent_dead, live)] == ["archived", "expired", "active"]
    with db.transaction() as session:
        moved = session.execute(
            text("select payload from raw_payload_archive where raw_posting_id = :id"),
            {"id": dead},
        ).scalar_one()
        left = session.get(RawPosting, dead)
        assert moved["id"] == "dead" and left is not None and left.payload == {}
    with db.transaction() as session:  # nothing left to do
        again = maintenance.archive_old(session, now=NOW)
    assert (again.archived_postings, again.archived_payloads) == (0, 0)


def test_daily_stats_are_stored_and_overwritten(database: Any) -> None:
    _posting("a")
    _posting("b", status="expired")
    with db.transaction() as session:
        counts = maintenance.compute_daily_stats(session, day=NOW.date())
    assert counts["postings_by_status"] == {"active": 1, "expired": 1}
    _posting("c")
    with db.transaction() as session:
        maintenance.compute_daily_stats(session, day=NOW.date())
    with db.transaction() as session:
        rows = session.scalars(select(DailyStats)).all()
    assert len(rows) == 1 and rows[0].counts["postings_by_status"]["active"] == 2


def test_optimize_vacuums_and_reindexes(database: Any) -> None:
    result = maintenance.optimize_database(
        db.engine(), reindex=["ix_postings_status_date", "no_such_index"]
    )
    assert "postings" in result.vacuumed
    assert result.reindexed == ["ix_postings_status_date"]


def test_retry_policy_then_the_flow_dead_letters_each_posting(
    database: Any, prefect_harness: None
) -> None:
    """The shared retry policy: bad data fails at once, network trouble after its retries;
    the flow, which knows the ids it passed, writes one letter per posting with its run."""
    from prefect import flow, task

    from hirehound.errors import SourceFormatError, SourceUnavailable
    from hirehound.records import DeadLetterRecord
    from hirehound.storage import dead_letters
    from tasks._context import run_names
    from tasks._retry import backoff, failure_exception, retry_unless_bad_data

    calls: dict[str, int] = {"format": 0, "network": 0}

    @task(retries=2, retry_delay_seconds=backoff(0.05, 2), retry_condition_fn=retry_unless_bad_data)
    def clean_chunk(posting_ids: list[int], kind: str) -> None:
        calls[kind] += 1
        if kind == "format":
            raise SourceFormatError("payload is not JSON")
        raise SourceUnavailable("HTTP 503")

    @flow
    def pipeline() -> None:
        for ids, kind in (([11, 12], "format"), ([13], "network")):
            state = clean_chunk(ids, kind, return_state=True)
            exc = failure_exception(state)
            with db.transaction() as session:
                dead_letters.record(session, [
                    DeadLetterRecord("clean", type(exc).__name__, str(exc), posting_id=i,
                                     task_name="clean_chunk", inputs={"posting_ids": ids})
                    for i in ids], **run_names())

    pipeline(return_state=True)
    assert calls == {"format": 1, "network": 3}
    with db.transaction() as session:
        rows = session.scalars(select(DeadLetter).order_by(DeadLetter.posting_id)).all()
    got = [(r.posting_id, r.error_type, r.step) for r in rows]
    assert got == [
        (11, "SourceFormatError", "clean"),
        (12, "SourceFormatError", "clean"),
        (13, "SourceUnavailable", "clean"),
    ]
    assert rows[0].flow_name == "pipeline" and rows[0].task_name == "clean_chunk"
    assert rows[0].inputs == {"posting_ids": [11, 12]}
    assert rows[0].flow_run_id and "payload is not JSON" in rows[0].detail


def test_backoff_is_exponential() -> None:
    from tasks._retry import backoff

    assert backoff(2.0, 3) == [2.0, 4.0, 8.0]
    with pytest.raises(ValueError):
        backoff(0, 3)


def test_metrics_exporter_reads_database_and_prefect_api(database: Any) -> None:
    import json

    from prometheus_client import CollectorRegistry, generate_latest

    from hirehound.metrics import HirehoundCollector

    _posting("m1")
    _posting("m2", status="expired")
    with db.transaction() as session:
        session.add(DeadLetter(step="clean", error_type="CleaningError", detail="x"))

    def prefect_api(req: Request) -> Response:
        state = json.loads(req.body)["flow_runs"]["state"]["type"]["any_"][0]
        return Response(200, json.dumps({"RUNNING": 2, "FAILED": 1}.get(state, 0)))

    with serve(prefect_api) as base:
        registry = CollectorRegistry()
        registry.register(HirehoundCollector(db.engine, f"{base}/api"))
        text_out = generate_latest(registry).decode()
    assert 'hirehound_postings{status="active"} 1.0' in text_out
    assert 'hirehound_postings{status="expired"} 1.0' in text_out
    assert 'hirehound_dead_letters_unresolved{step="clean"} 1.0' in text_out
    assert 'hirehound_flow_runs{state="running"} 2.0' in text_out
    assert 'hirehound_scrape_ok{backend="prefect"} 1.0' in text_out

    # The Prefect API being down is a metric, not a failed scrape.
    registry = CollectorRegistry()
    registry.register(HirehoundCollector(db.engine, "http://127.0.0.1:9/api"))
    assert 'hirehound_scrape_ok{backend="prefect"} 0.0' in generate_latest(registry).decode()
