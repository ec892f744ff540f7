"""Telling a source's kind from a target (shorthand, URL, file name) and its first bytes."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import quote, unquote, urlsplit

from hirehound.errors import SourceFormatError

SourceKind = Literal["ashby", "greenhouse", "lever", "jsonld", "jobspy", "generic"]
KINDS: tuple[str, ...] = get_args(SourceKind)
HEAD_BYTES = 65536

_BOARD_APIS = {
    "ashby": ("https://api.ashbyhq.com", "/posting-api/job-board/{}", "includeCompensation=true"),
    "greenhouse": ("https://boards-api.greenhouse.io", "/v1/boards/{}/jobs", "content=true"),
    "lever": ("https://api.lever.co", "/v0/postings/{}", "mode=json"),
}
# Suffixes read when a directory is given (others, e.g. LICENSE or README.md, are skipped).
SUPPORTED_SUFFIXES = (
    ".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz",
    ".csv", ".csv.gz", ".html", ".htm", ".html.gz", ".htm.gz",
)  # fmt: skip
LINE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".csv", ".csv.gz")


def _key(name: str) -> re.Pattern[str]:
    # A JSON key, not the same word inside an escaped string ("\"job_url\": ...").
    return re.compile(rf'(?<!\\)"{name}"\s*:')


_K = {k: _key(k) for k in (
    "apiVersion", "jobUrl", "isListed", "descriptionPlain", "absolute_url", "internal_job_id",
    "meta", "hostedUrl", "categories", "job_url", "site", "source_id", "source", "title",
)}  # fmt: skip
_JSONLD_TYPE = re.compile(r'(?<!\\)"@type"\s*:\s*(?:\[[^\]]*)?"[^"]*JobPosting"')
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<script[\s>]", re.I)


def board_url(kind: SourceKind, board: str, *, base_url: str | None = None) -> str:
    """The public board API URL for an ATS board (`base_url` replaces the host, for tests)."""
    if kind not in _BOARD_APIS:
        raise SourceFormatError(f"{kind!r} has no board API (use ashby, greenhouse or lever)")
    board = board.strip().strip("/")
    if not board:
        raise SourceFormatError(f"empty {kind} board name")
    host, path, query = _BOARD_APIS[kind]
    host = base_url.rstrip("/") if base_url else host
    return f"{host}{path.format(quote(unquote(board), safe=''))}?{query}"


def split_shorthand(target: str) -> tuple[SourceKind, str] | None:
    """`ashby:cohere` -> ("ashby", "cohere"); None for anything else."""
    m = re.fullmatch(r"(ashby|greenhouse|lever):([^/\s:][^\s]*)", target.strip())
    if not m or "://" in target:
        return None
    return m.group(1), m.group(2)  # type: ignore[return-value]


def api_url_for_page(url: str) -> tuple[SourceKind, str] | None:
    """Hosted board pages (jobs.ashbyhq.com/<board>, ...) point at their API URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) != 1:
        return None
    if host == "jobs.ashbyhq.com":
        return "ashby", board_url("ashby", segs[0])
    if host in {"boards.greenhouse.io", "job-boards.greenhouse.io"}:
        return "greenhouse", board_url("greenhouse", segs[0])
    if host == "jobs.lever.co":
        return "lever", board_url("lever", segs[0])
    return None


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
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    if host.endswith("ashbyhq.com") or "/posting-api/job-board/" in path:
        return "ashby"
    if host.endswith("greenhouse.io") or re.search(r"/v1/boards/[^/]+/jobs", path):
        return "greenhouse"
    if host.endswith("lever.co") or "/v0/postings/" in path:
        return "lever"
    lowered = path.lower()
    if lowered.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".csv.gz")):
        return None  # generic or jobspy: only the content tells
    if lowered.endswith((".html", ".htm")):
        return "jsonld"
    return None


def sniff(head: bytes) -> SourceKind | None:
    """The kind of a payload from its first bytes (keys present, HTML markers, CSV header)."""
    s = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not s:
        return None
    has = lambda name: bool(_K[name].search(s))  # noqa: E731
    if s[0] in "[{":
        if has("apiVersion") or (has("jobUrl") and (has("isListed") or has("descriptionPlain"))):
            return "ashby"
        if has("absolute_url") or has("internal_job_id"):
            return "greenhouse"
        if has("hostedUrl") or (has("categories") and s[0] == "["):
            return "lever"
        if has("job_url") and has("site"):
            return "jobspy"
        if has("source_id") and has("source"):
            return "generic"
        if _JSONLD_TYPE.search(s):
            return "jsonld"
        if has("meta") and re.match(r'\{\s*"jobs"\s*:\s*\[\s*\]', s):
            return "greenhouse"  # an empty Greenhouse board
        return None
    if s[0] == "<" or _HTML.search(s[:4096]):
        return "jsonld"
    first = s.splitlines()[0]
    try:
        cols = {c.strip().lower() for c in next(csv.reader([first], _dialect(first)))}
    except (csv.Error, StopIteration):
        return None
    if {"site", "job_url"} <= cols:
        return "jobspy"
    if {"source", "source_id"} <= cols:
        return "generic"
    return None


def _dialect(header: str) -> type[csv.Dialect]:
    return csv.excel_tab if header.count("\t") > header.count(",") else csv.excel


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
                + f"; pass one of {', '.join(KINDS)}"
            )
        return kind
    path = Path(target)
    if path.is_dir():
        kinds = {detect_kind(str(p)) for p in files_in(path)}
        if len(kinds) != 1:
            found = ", ".join(sorted(kinds)) or "no supported files"
            raise SourceFormatError(f"{path}: directory holds {found}; give the kind per file")
        return kinds.pop()
    if not path.exists():
        raise SourceFormatError(f"{path}: no such file or directory")
    name = path.name.lower()
    if name.endswith((".html", ".htm", ".html.gz", ".htm.gz")):
        return "jsonld"
    kind = sniff(head if head is not None else read_head(path))
    if kind is None:
        raise SourceFormatError(
            f"{path}: cannot tell the source kind from its name or first bytes; "
            f"pass one of {', '.join(KINDS)}"
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
