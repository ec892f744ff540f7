"""Reading postings from files, directories, URLs and in-memory payloads."""

from __future__ import annotations

import csv
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from hirehound import limits
from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.settings import Settings
from hirehound.sources._adapter import Getter, SourceAdapter, get
from hirehound.sources._common import bad, decode_bytes, dialect
from hirehound.sources._detect import (
    LINE_SUFFIXES,
    SourceKind,
    detect_kind,
    fetch_target,
    files_in,
    read_head,
)
from hirehound.sources._files import OverlongLine, open_lines, read_document
from hirehound.sources._http import BeforeRequest, fetch_conditional

log = logging.getLogger(__name__)

Item = SourcePosting | BadRecord
# A line-based file whose first this-many records all fail is not that format at all.
_GIVE_UP_AFTER = 20
# Long descriptions in CSV cells exceed the csv module's 128 kB default field limit.
# The limit is process-wide (the csv module has no other), so it is one sane cap, not 2 GB.
csv.field_size_limit(limits.MAX_CSV_FIELD_CHARS)

def _adapter(kind: str) -> SourceAdapter:
    try:
        return get(kind)
    except SourceFormatError:
        raise SourceFormatError(f"unknown source kind {kind!r}") from None


def _mapper(kind: str) -> Any:
    return _adapter(kind).record


def parse_payload(
    kind: SourceKind, data: bytes | str | dict[str, Any] | list[Any], *, origin: str = ""
) -> Iterator[Item]:
    """Map one payload already in memory (a board response, a page, records) onto postings."""
    adapter = _adapter(kind)
    if isinstance(data, bytes):
        data = decode_bytes(data)
    if adapter.parse is not None:
        if isinstance(data, str) and (
            not adapter.takes_text or data.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")
        ):
            data = _loads(data, origin)
        return adapter.parse(data, origin=origin)
    mapper = adapter.record
    assert mapper is not None  # an adapter has parse or record (checked when it is made)
    if isinstance(data, dict):
        return iter([mapper(data)])
    if isinstance(data, list):
        return (mapper(rec) for rec in data)
    return _records_from_text(kind, data, origin)


def complete_payload(
    kind: SourceKind,
    body: bytes,
    url: str,
    *,
    settings: Settings,
    client: httpx.Client | None = None,
    before_request: BeforeRequest | None = None,
    previous: Callable[[], Mapping[str, Any]] | None = None,
) -> bytes:
    """The whole payload of a board from its first response: sources whose API pages or
    keeps the description elsewhere fetch the rest here (the same client and hooks).
    `previous()` gives the payloads the board listed last time (see `Getter`)."""
    adapter = _adapter(kind)
    if adapter.complete is None:
        return body
    return adapter.complete(body, url, Getter(settings, client, before_request, previous))


def _loads(raw: str, origin: str) -> Any:
    try:
        return limits.loads(raw)
    except ValueError as exc:
        raise SourceFormatError(f"{origin or 'payload'}: not valid JSON ({exc})") from exc


def _records_from_text(kind: SourceKind, data: str, origin: str) -> Iterator[Item]:
    stripped = data.lstrip("\ufeff \t\r\n")
    if stripped[:1] == "[":
        records = _loads(stripped, origin)
        return (_mapper(kind)(rec) for rec in records)
    if stripped[:1] == "{":
        return _jsonl(kind, (line for line in stripped.splitlines()), origin)
    return _csv(kind, iter(stripped.splitlines(keepends=True)), origin)


def _jsonl(kind: SourceKind, lines: Iterable[str], origin: str) -> Iterator[Item]:
    mapper = _mapper(kind)
    good = failed = 0
    for n, line in enumerate(lines, 1):
        if isinstance(line, OverlongLine):
            yield bad(kind, str(line), "line_too_long",
                      f"{origin}: line {n}: {line.size} bytes (max {limits.MAX_LINE_BYTES})")
            continue
        line = line.strip()
        if not line:
            continue
        try:
            rec = limits.loads(line)
        except ValueError as exc:
            failed += 1
            if not good and failed >= _GIVE_UP_AFTER:
                raise SourceFormatError(
                    f"{origin}: not JSON lines (first {failed} lines fail)"
                ) from exc
            yield bad(kind, line[:10_000], getattr(exc, "reason", "bad_json"),
                      f"{origin}: line {n}: {exc}")
            continue
        try:
            item = mapper(rec)
        except (RecursionError, ValueError, TypeError) as exc:  # one record, not the file
            item = bad(kind, limits.letter_payload(rec), "unmappable",
                       f"{origin}: line {n}: {type(exc).__name__}: {exc}")
        good += isinstance(item, SourcePosting)
        yield item


def _csv(kind: SourceKind, lines: Iterator[str], origin: str) -> Iterator[Item]:
    mapper = _mapper(kind)
    try:
        header = next(lines)
    except StopIteration:
        return
    def rejoin() -> Iterator[str]:
        yield header
        yield from lines

    reader = csv.DictReader(rejoin(), dialect=dialect(header))
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    required = _adapter(kind).columns
    if not required <= fields:
        raise SourceFormatError(
            f"{origin}: CSV header lacks {', '.join(sorted(required - fields))} for {kind}"
        )
    try:
        for row in reader:
            rec = {k.strip().lower(): v for k, v in row.items() if k is not None}
            if None in row:  # more cells than header columns
                yield bad(
                    kind, rec, "bad_csv_row", f"{origin}: line {reader.line_num}: extra cells"
                )
                continue
            yield mapper({k: (v if v != "" else None) for k, v in rec.items()})
    except csv.Error as exc:
        raise SourceFormatError(f"{origin}: broken CSV at line {reader.line_num} ({exc})") from exc


def read_file(path: Path, kind: SourceKind | None = None) -> Iterator[Item]:
    """Postings from one file; line-based formats are streamed, documents read whole."""
    kind = kind or detect_kind(str(path))
    origin = str(path)
    try:
        if _adapter(kind).record is not None and _is_line_based(path):
            name = path.name.lower()
            first = read_head(path).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            if name.endswith((".csv", ".csv.gz")) or (first != b"{" and ".json" not in name):
                yield from _csv(kind, open_lines(path, overlong="raise"), origin)
            else:
                yield from _jsonl(kind, open_lines(path), origin)
            return
        yield from parse_payload(kind, read_document(path), origin=origin)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc})") from exc


def _is_line_based(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(LINE_SUFFIXES):
        return True
    # A .json file may still hold JSON lines; only a leading '[' means one document.
    return read_head(path).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def read_postings(
    target: str,
    *,
    kind: SourceKind | None = None,
    settings: Settings,
    client: httpx.Client | None = None,
    before_request: BeforeRequest | None = None,
) -> Iterator[Item]:
    """Postings from a file, a directory (all supported files, sorted), a URL or a shorthand.

    `before_request(url)` runs before every HTTP request (rate limit, host politeness).

    Shorthands: `ashby:<board>`, `greenhouse:<token>`, `lever:<company>`. Bad records come
    out as BadRecord; an unreadable source raises SourceFormatError / SourceUnavailable.
    """
    kind, target = fetch_target(target, kind)
    if target.startswith(("http://", "https://")):
        body = fetch_conditional(target, settings=settings, client=client,
                                 before_request=before_request).body
        kind = kind or detect_kind(target, head=body[:65536])
        body = complete_payload(kind, body, target, settings=settings, client=client,
                                before_request=before_request)
        log.info("fetched %s (%d bytes) as %s", target, len(body), kind)
        yield from parse_payload(kind, body, origin=target)
        return
    path = Path(target).expanduser()
    if path.is_dir():
        files = files_in(path)
        if not files:
            raise SourceFormatError(f"{path}: no supported files (.json, .jsonl, .csv, .html, .gz)")
        for file in files:
            yield from read_file(file, kind)
        return
    if not path.exists():
        raise SourceFormatError(f"{path}: no such file or directory")
    yield from read_file(path, kind)
