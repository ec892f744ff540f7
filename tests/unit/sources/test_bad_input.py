"""Bad input: unreadable files fail clearly, bad records become BadRecord, odd encodings work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.settings import Settings
from hirehound.sources import parse_payload, read_postings


def _read(path: Path, settings: Settings, **kw: object) -> list[SourcePosting | BadRecord]:
    return list(read_postings(str(path), settings=settings, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "job", "error"),
    [
        ("ashby", "not a job", "not_an_object"),
        ("ashby", {"title": "No id"}, "missing_id"),
        ("ashby", {"id": "a1", "title": "   "}, "missing_title"),
        ("greenhouse", {"id": 7, "absolute_url": "https://x"}, "missing_title"),
        ("lever", {"text": "No id", "hostedUrl": "https://jobs.lever.co/a/1"}, "missing_id"),
    ],
)
def test_one_bad_job_does_not_stop_the_board(kind: str, job: object, error: str) -> None:
    good = {
        "ashby": {"id": "g1", "title": "Good", "jobUrl": "https://jobs.ashbyhq.com/acme/g1"},
        "greenhouse": {"id": 1, "title": "Good", "absolute_url": "https://x/1"},
        "lever": {"id": "g1", "text": "Good", "hostedUrl": "https://jobs.lever.co/acme/g1"},
    }[kind]
    payload: object = (
        {"apiVersion": "1", "jobs": [job, good]}
        if kind == "ashby"
        else ({"jobs": [job, good]} if kind == "greenhouse" else [job, good])
    )
    first, second = parse_payload(kind, payload)  # type: ignore[arg-type]
    assert isinstance(first, BadRecord) and first.error == error and first.source == kind
    assert first.payload == job
    assert isinstance(second, SourcePosting) and second.title == "Good"


def test_jsonl_bad_lines_become_bad_records(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text(
        '{"source": "b", "source_id": "1", "title": "One"}\n'
        "{not json\n"
        "\n"
        '["a list"]\n'
        '{"source": "b", "title": "No id"}\n'
        '{"source_id": "3", "title": "No source"}\n'
        '{"source": "b", "source_id": 4, "title": "Numeric id", "remote": "true"}\n'
    )
    items = _read(f, settings, kind="generic")
    assert [type(i).__name__ for i in items] == [
        "SourcePosting", "BadRecord", "BadRecord", "BadRecord", "BadRecord", "SourcePosting",
    ]  # fmt: skip
    assert [i.error for i in items if isinstance(i, BadRecord)] == [
        "bad_json", "not_an_object", "missing_id", "missing_source",
    ]  # fmt: skip
    assert "line 2" in items[1].detail  # type: ignore[union-attr]
    last = items[-1]
    assert isinstance(last, SourcePosting) and last.source_id == "4" and last.remote is True


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("board.json", b'{"apiVersion": "1", "jobs": [', "not valid JSON"),
        ("board.json", b'{"apiVersion": "1", "jobz": []}', "no 'jobs' list"),
        ("feed.jsonl", b"garbage\n" * 30, "not JSON lines"),
        ("feed.csv", b"a,b\n1,2\n", "CSV header lacks"),
        ("page.html", b"<html><body>No structured data</body></html>", "no schema.org JobPosting"),
        ("board.json.gz", b"\x1f\x8b\x08\x00broken", "cannot read"),
    ],
)
def test_unparseable_file_raises_one_clear_error(
    tmp_path: Path, settings: Settings, name: str, content: bytes, message: str
) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    kind = {
        "board.json": "ashby",
        "board.json.gz": "ashby",
        "feed.jsonl": "generic",
        "feed.csv": "generic",
        "page.html": "jsonld",
    }[name]
    with pytest.raises(SourceFormatError, match=message) as info:
        _read(f, settings, kind=kind)
    assert str(f) in str(info.value) and "\n" not in str(info.value)


def test_missing_path_and_empty_directory(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(SourceFormatError, match="no such file"):
        _read(tmp_path / "nope", settings)
    (tmp_path / "README.md").write_text("not a source")
    with pytest.raises(SourceFormatError, match="no supported files"):
        _read(tmp_path, settings)


def test_latin1_jsonl_is_decoded(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "legacy.jsonl.gz"
    line = {
        "source": "old",
        "source_id": "1",
        "title": "Développeur à Montréal",
        "description": "Société générale cherche un ingénieur expérimenté.",
    }
    f.write_bytes(gzip.compress((json.dumps(line, ensure_ascii=False) + "\n").encode("cp1252")))
    [p] = _read(f, settings)
    assert isinstance(p, SourcePosting) and p.title == "Développeur à Montréal"


def test_utf16_and_cp1252_payloads_never_crash() -> None:
    doc = {
        "apiVersion": "1",
        "jobs": [
            {"id": "1", "title": "Müller – Köchin", "jobUrl": "https://jobs.ashbyhq.com/acme/1"}
        ],
    }
    raw = json.dumps(doc, ensure_ascii=False)
    for encoding in ("utf-16", "cp1252"):
        [p] = parse_payload("ashby", raw.encode(encoding))
        assert isinstance(p, SourcePosting) and p.title == "Müller – Köchin", encoding
    # Undecodable bytes in an HTML page are replaced, not fatal.
    page = (
        b'<html><script type="application/ld+json">{"@type": "JobPosting", "title": "Caf\xe9 \xff"}'
        b"</script></html>"
    )
    [p] = parse_payload("jsonld", page)
    assert isinstance(p, SourcePosting) and p.title and p.title.startswith("Caf")


def test_huge_description_and_missing_optional_fields_pass_through() -> None:
    # Capping descriptions is the clean step's job (max_description_chars); sources keep it whole.
    huge = "<p>" + "x" * 3_000_000 + "</p>"
    job = {"id": "1", "title": "T", "descriptionHtml": huge}
    [p] = parse_payload("ashby", {"apiVersion": "1", "jobs": [job]}, origin="acme.json")
    assert isinstance(p, SourcePosting)
    assert p.description_html == huge
    assert p.company == "Acme" and p.url is None and p.location is None and p.salary is None


def test_csv_with_huge_field_and_ragged_row(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "feed.csv"
    big = "y" * 500_000  # over the csv module's default 128 kB field limit
    f.write_text(f'source,source_id,title,description\nb,1,T,"{big}"\nb,2,T2,d,EXTRA\n')
    first, second = _read(f, settings)
    assert isinstance(first, SourcePosting) and first.description == big
    assert isinstance(second, BadRecord) and second.error == "bad_csv_row"


def test_cyrillic_cp1251_keeps_its_script(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "ru.jsonl"
    line = {
        "source": "hh",
        "source_id": "1",
        "title": "Разработчик Python",
        "description": "Мы ищем опытного разработчика для работы над внутренними сервисами.",
    }
    f.write_bytes((json.dumps(line, ensure_ascii=False) + "\n").encode("cp1251"))
    [p] = _read(f, settings)
    assert isinstance(p, SourcePosting) and p.title == "Разработчик Python"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(SourceFormatError, match="unknown source kind"):
        parse_payload("workday", b"{}")  # type: ignore[arg-type]
