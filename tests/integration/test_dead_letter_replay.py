"""Dead letters that can be worked: one writer that upserts, replay, resolve, retention.

The fault is real code failing in the real pipeline: the quality step's scorer (a core
function the step calls per posting) raises for the titles in `BROKEN`, so those postings
are dead-lettered by the step itself; the test then "fixes" one of them and replays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from hirehound.records import DeadLetterRecord
from hirehound.settings import Settings
from hirehound.storage import db, dead_letters
from hirehound.storage.models import DeadLetter
from tests.integration.test_ingest_flow import _generic, _write_jsonl

pytestmark = pytest.mark.integration


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Titles whose quality scoring fails (edit the set to fix or break a posting)."""
    import hirehound.ingest._steps as steps

    titles: set[str] = set()
    real = steps.quality_score

    def scorer(inp: Any) -> Any:
        if inp.title in titles:
            raise ArithmeticError(f"quality scorer cannot handle {inp.title!r}")
        return real(inp)

    monkeypatch.setattr(steps, "quality_score", scorer)
    return titles


def _letters() -> list[DeadLetter]:
    with db.transaction() as s:
        rows = list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))
        s.expunge_all()
    return rows


def _pid(source_id: str) -> int:
    with db.transaction() as s:
        return int(s.execute(text("select id from raw_postings where source_id = :s"),
                             {"s": source_id}).scalar_one())


def _status(source_id: str) -> tuple[str | None, str | None]:
    with db.transaction() as s:
        row = s.execute(text("select step, status from postings where source_id = :s"),
                        {"s": source_id}).first()
    return (row.step, row.status) if row else (None, None)


def test_replay_publishes_the_fixed_and_keeps_one_letter_for_the_broken(
    clean_db: Settings, prefect_harness: None, broken: set[str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.dead_letters import replay_dead_letters
    from flows.ingest import ingest_postings

    broken.update({"Fixable Engineer", "Hopeless Engineer"})
    records = [
        _generic(source_id="ok1", url="https://jobs.example.com/ok1", title="Backend Engineer"),
        _generic(source_id="ok2", url="https://jobs.example.com/ok2", title="Data Analyst"),
        _generic(source_id="fix", url="https://jobs.example.com/fix", title="Fixable Engineer"),
        _generic(source_id="bad", url="https://jobs.example.com/bad", title="Hopeless Engineer"),
    ]
    counts = ingest_postings(targets=[_write_jsonl(tmp_path / "r.jsonl.gz", records)])
    assert counts["read"] == 4
    letters = _letters()
    fix, bad = _pid("fix"), _pid("bad")
    assert sorted((d.step, d.posting_id, d.attempts) for d in letters) == sorted([
        ("quality", fix, 1), ("quality", bad, 1)])
    assert letters[0].flow_run_id and letters[0].flow_name == "ingest-postings"
    assert _status("fix")[0] != "publish"

    broken.discard("Fixable Engineer")  # the cause of one is fixed
    got = replay_dead_letters(step="quality")
    assert got["letters"] == 2 and got["resolved"] == 1 and got["still_failing"] == 1, got

    assert _status("fix") == ("publish", "active")
    after = {d.posting_id: d for d in _letters()}
    assert len(after) == 2  # no second letter for the broken one
    fixed, hopeless = after[fix], after[bad]
    assert fixed.resolved_at is not None and fixed.resolution == "replayed"
    assert fixed.resolved_by_run and fixed.resolved_by_run != letters[0].flow_run_id
    assert hopeless.resolved_at is None and hopeless.attempts == 2
    assert hopeless.flow_run_id == fixed.resolved_by_run  # written again by the replay
    assert "Hopeless Engineer" in hopeless.detail

    # The same from the command line, by id and age: a third attempt, still one letter.
    from hirehound.cli import main

    assert main(["dead-letters", "replay", "--id", str(hopeless.id), "--since", "1h"]) == 0
    assert '"still_failing": 1' in capsys.readouterr().out
    assert {d.posting_id: d.attempts for d in _letters()} == {fix: 1, bad: 3}


def test_the_writer_upserts_open_letters_only(clean_db: Settings) -> None:
    letter = DeadLetterRecord("fetch", "SourceUnavailable", "HTTP 503", target="ashby:acme")
    with db.transaction() as s:
        assert dead_letters.record(s, [letter, letter], flow_run_id="run-1") == 1
    with db.transaction() as s:
        dead_letters.record(s, [letter], flow_run_id="run-2", work_queue="critical")
    (row,) = _letters()
    assert (row.attempts, row.flow_run_id, row.work_queue) == (3, "run-2", "critical")
    with db.transaction() as s:
        assert dead_letters.resolve(s, ids=[row.id], resolution="board closed",
                                    resolved_by="cli") == 1
        # A resolved letter is history: the next failure opens a new one.
        dead_letters.record(s, [letter])
        # Letters naming nothing are never merged.
        dead_letters.record(s, [DeadLetterRecord("parse", "JSONDecodeError", "x")] * 2)
    rows = _letters()
    assert [(r.step, r.attempts, r.resolution) for r in rows] == [
        ("fetch", 3, "board closed"), ("fetch", 1, None), ("parse", 1, None),
        ("parse", 1, None)]


def test_resolve_and_retention(clean_db: Settings) -> None:
    from hirehound.cli import main

    with db.transaction() as s:
        dead_letters.record(s, [DeadLetterRecord("normalize", "ValueError", "bad date",
                                                 posting_id=i) for i in (1, 2, 3)])
        dead_letters.record(s, [DeadLetterRecord("enrich:website", "EnrichmentError", "404",
                                                 organization_id=7)])
    ids = [d.id for d in _letters()]
    assert main(["dead-letters", "resolve", "--id", str(ids[0]), "--reason", "test data"]) == 0
    assert main(["dead-letters", "resolve", "--step", "enrich:website",
                 "--reason", "site gone"]) == 0
    assert main(["dead-letters", "resolve", "--reason", "no selector"]) == 2
    by_id = {d.id: d for d in _letters()}
    assert by_id[ids[0]].resolution == "test data" and by_id[ids[0]].resolved_by_run == "cli"
    assert by_id[ids[3]].resolution == "site gone"
    assert by_id[ids[1]].resolved_at is None

    # Retention: letters resolved longer ago than the setting go; open ones never do.
    with db.transaction() as s:
        s.execute(text("update dead_letters set resolved_at = now() - interval '40 days' "
                       "where id = :id"), {"id": ids[0]})
        assert dead_letters.purge_resolved(s, older_than_days=30) == 1
        s.execute(text("update dead_letters set created_at = now() - interval '400 days'"))
        assert dead_letters.purge_resolved(s, older_than_days=30) == 0
    assert sorted(d.id for d in _letters()) == ids[1:]


def test_list_hides_resolved_letters_unless_all(
    clean_db: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from hirehound.cli import main

    with db.transaction() as s:
        dead_letters.record(s, [
            DeadLetterRecord("fetch", "SourceUnavailable", "SourceUnavailable: HTTP 503",
                             target="greenhouse:acme"),
            DeadLetterRecord("enrich:merge", "StorageError", "db went away",
                             organization_id=5),
        ])
    first = _letters()[0]
    with db.transaction() as s:
        dead_letters.resolve(s, ids=[first.id], resolution="fixed upstream", resolved_by="cli")
    main(["dead-letters"])
    out = capsys.readouterr().out
    assert "greenhouse:acme" not in out and "organization 5" in out
    main(["dead-letters", "--all"])
    out = capsys.readouterr().out
    assert "target greenhouse:acme" in out and "resolved" in out and "fixed upstream" in out
    assert "SourceUnavailable: HTTP 503" in out
    assert "SourceUnavailable: SourceUnavailable" not in out
