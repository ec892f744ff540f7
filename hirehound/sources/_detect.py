"""Telling a source's kind from a target (shorthand, URL, file name) and its first bytes."""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from hirehound.errors import SourceFormatError
from hirehound.sources._adapter import adapters, board_kinds, get, kinds

if TYPE_CHECKING:
    SourceKind = str
else:
    # The registered kinds, for Prefect's parameter forms and the CLI's choices.
    SourceKind = Literal[kinds()]
KINDS: tuple[str, ...] = kinds()
HEAD_BYTES = 65536

# Suffixes read when a directory is given (others, e.g. LICENSE or README.md, are skipped).
SUPPORTED_SUFFIXES = (
    ".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz",
    ".csv", ".csv.gz", ".html", ".htm", ".html.gz", ".htm.gz",
)  # fmt: skip
LINE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".csv", ".csv.gz")


def board_url(kind: SourceKind, board: str, *, base_url: str | None = None) -> str:
    """The public board API URL for an ATS board (`base_url` replaces the host, for tests)."""
    return get(kind).board_url(board, base_url=base_url)


@functools.cache
def _shorthand(kinds: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(k) for k in kinds)
    return re.compile(rf"({names}):([^/\s:][^\s]*)")


def split_shorthand(target: str) -> tuple[SourceKind, str] | None:
    """`ashby:cohere` -> ("ashby", "cohere"); None for anything else."""
    m = _shorthand(board_kinds()).fullmatch(target.strip())
    if not m or "://" in target:
        return None
    return m.group(1), m.group(2)


def page_board(url: str) -> tuple[SourceKind, str] | None:
    """(kind, board) of a hosted board page (jobs.ashbyhq.com/<board>, ...), else None."""
    for adapter in adapters():
        if adapter.crawlable:
            board = adapter.board_of_page(url)
            if board:
                return adapter.kind, board
    return None


def api_url_for_page(url: str) -> tuple[SourceKind, str] | None:
    """Hosted board pages (jobs.ashbyhq.com/<board>, ...) point at their API URL."""
    found = page_board(url)
    return (found[0], board_url(found[0], found[1])) if found else None


def fetch_target(target: str, kind: SourceKind | None = None) -> tuple[SourceKind | None, str]:
    """(kind, what to read) for a target: a board shorthand or a hosted board page becomes
    its board API URL; anything else is read as it is."""
    short = split_shorthand(target)
    if short:
        kind = kind or short[0]
        target = board_url(short[0], short[1])
    if target.startswith(("http://", "https://")):
        page = api_url_for_page(target)
        if page and kind in (None, page[0]):
            kind, target = page
    return kind, target


def kind_from_url(url: str) -> SourceKind | None:
    """The kind an API URL belongs to, from its host or path (None when it doesn't say)."""
    for adapter in adapters():
        if adapter.owns_api_url(url):
            return adapter.kind
    lowered = urlsplit(url).path.lower()
    if lowered.endswith(LINE_SUFFIXES):
        return None  # generic or jobspy: only the content tells
    return _kind_by_suffix(lowered)


def _kind_by_suffix(name: str) -> SourceKind | None:
    for adapter in adapters():
        if adapter.suffixes and name.endswith(adapter.suffixes):
            return adapter.kind
    return None


def sniff(head: bytes) -> SourceKind | None:
    """The kind of a payload from its first bytes (keys present, markup, CSV header)."""
    s = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not s:
        return None
    for adapter in adapters():
        if adapter.sniff is not None and adapter.sniff(s):
            return adapter.kind
    return None


def read_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                head = gz.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc})") from exc
    return head


def files_in(directory: Path) -> list[Path]:
    """The supported files of a directory, sorted by name (not recursive)."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name.lower().endswith(SUPPORTED_SUFFIXES)
    )


def detect_kind(target: str, head: bytes | None = None) -> SourceKind:
    """The kind of a path, URL or shorthand; SourceFormatError when it cannot be told."""
    short = split_shorthand(target)
    if short:
        return short[0]
    if target.startswith(("http://", "https://")):
        kind = kind_from_url(target) or (api_url_for_page(target) or (None,))[0]
        if kind is None and head is not None:
            kind = sniff(head)
        if kind is None:
            raise SourceFormatError(
                f"{target}: cannot tell the source kind from the URL"
                + (" or its content" if head is not None else "")
                + f"; pass one of {', '.join(kinds())}"
            )
        return kind
    path = Path(target)
    if path.is_dir():
        found_kinds = {detect_kind(str(p)) for p in files_in(path)}
        if len(found_kinds) != 1:
            found = ", ".join(sorted(found_kinds)) or "no supported files"
            raise SourceFormatError(f"{path}: directory holds {found}; give the kind per file")
        return found_kinds.pop()
    if not path.exists():
        raise SourceFormatError(f"{path}: no such file or directory")
    by_name = _kind_by_suffix(path.name.lower())
    if by_name is not None:
        return by_name
    kind = sniff(head if head is not None else read_head(path))
    if kind is None:
        raise SourceFormatError(
            f"{path}: cannot tell the source kind from its name or first bytes; "
            f"pass one of {', '.join(kinds())}"
        )
    return kind


# A group of files read by one task: about 700 postings of Ashby-sized board files (1.5 KB
# compressed each), so reading overlaps with processing earlier chunks while the task runs
# stay few (a group per 256 KB made 100 task runs of 20k postings; this, 25).
READ_GROUP_BYTES = 1024 * 1024


def read_groups(target: str, *, group_bytes: int = READ_GROUP_BYTES) -> list[list[str]]:
    """Split a target into groups of targets to read one after another.

    A folder becomes groups of its files (by size on disk); anything else is one group. The
    flow reads group by group and starts on the postings of one while reading the next.
    """
    path = Path(target)
    if split_shorthand(target) or target.startswith(("http://", "https://")) or not path.is_dir():
        return [[target]]
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for f in files_in(path):
        current.append(str(f))
        size += f.stat().st_size
        if size >= group_bytes:
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    return groups
