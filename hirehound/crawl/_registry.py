"""The source registry: which boards and pages the crawler visits, how often, and their state."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound.errors import SourceFormatError
from hirehound.sources._adapter import board_kinds, kinds
from hirehound.sources._detect import kind_from_url, page_board, split_shorthand
from hirehound.storage.models import CrawlSource

DEFAULT_EVERY_S = 3600
# Politeness: a board API answers one request per second from us at most, per host.
DEFAULT_MIN_INTERVAL_S = 1.0
# The ATS board list shipped with the project (MIT; see data/README.md).
SHIPPED_BOARDS = Path(__file__).with_name("data") / "ats_boards.json"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str | int) -> int:
    """`90`, `90s`, `15m`, `1h30m`, `2d` -> seconds (at least 60: a board is not a ticker)."""
    if isinstance(text, int):
        seconds = text
    else:
        raw = text.strip().lower()
        if raw.isdigit():
            seconds = int(raw)
        else:
            parts = re.findall(r"(\d+)\s*([smhd])", raw)
            if not parts or re.sub(r"\d+\s*[smhd]", "", raw).strip():
                raise SourceFormatError(
                    f"cadence {text!r}: use seconds or a duration like 30m, 1h, 1h30m, 2d"
                )
            seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds < 1:
        raise SourceFormatError(f"cadence {text!r}: must be at least 1 second")
    return seconds


@dataclass(frozen=True)
class SourceSpec:
    """What a target becomes in the registry: its name, kind and the target to fetch."""

    name: str
    kind: str
    target: str


def describe_target(target: str, kind: str | None = None) -> SourceSpec:
    """Name and kind of a crawl target: `ashby:cohere`, a board API URL, or a page URL.

    Hosted board pages (jobs.ashbyhq.com/cohere) become their board's shorthand, so the same
    board added twice is one source. Files are not crawl targets (`hirehound ingest` reads them).
    """
    target = target.strip()
    if kind is not None and kind not in kinds():
        raise SourceFormatError(f"unknown source kind {kind!r}; one of {', '.join(kinds())}")
    short = split_shorthand(target)
    if short:
        if kind not in (None, short[0]):
            raise SourceFormatError(f"{target}: is a {short[0]} board, not {kind}")
        return SourceSpec(f"{short[0]}:{short[1]}", short[0], target)
    if not target.startswith(("http://", "https://")):
        boards = ", ".join(f"{k}:<board>" for k in board_kinds())
        raise SourceFormatError(
            f"{target!r}: a crawl source is a board ({boards}) or an http(s) URL; "
            "files are read by `hirehound ingest`"
        )
    page = page_board(target)
    if page and kind in (None, page[0]):
        return SourceSpec(f"{page[0]}:{page[1]}", page[0], f"{page[0]}:{page[1]}")
    found = kind or kind_from_url(target)
    if found is None:
        # A page without a known board API: a career page with schema.org JSON-LD.
        found = "jsonld"
    return SourceSpec(target, found, target)


@dataclass
class ImportReport:
    """What `import_sources` did: how many rows added, updated, and skipped by reason."""

    added: int = 0
    updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def render(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated"]
        parts += [f"{n} skipped ({why})" for why, n in sorted(self.skipped.items())]
        return ", ".join(parts)


def add_source(
    session: Session,
    target: str,
    *,
    kind: str | None = None,
    every_s: int = DEFAULT_EVERY_S,
    organization: str | None = None,
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
) -> tuple[CrawlSource, bool]:
    """Register a target (or update the cadence of one already there); due at once if new."""
    spec = describe_target(target, kind)
    created = _upsert(session, [_row(spec, every_s, organization, min_interval_s)])
    source = session.scalars(select(CrawlSource).where(CrawlSource.name == spec.name)).one()
    return source, bool(created)


def _row(spec: SourceSpec, every_s: int, organization: str | None,
         min_interval_s: float) -> dict[str, Any]:
    if min_interval_s < 0:
        raise SourceFormatError(f"politeness interval must be >= 0, got {min_interval_s}")
    return {
        "name": spec.name,
        "kind": spec.kind,
        "target": spec.target,
        "organization_hint": organization or None,
        "every_s": every_s,
        "min_interval_s": min_interval_s,
    }


def _upsert(session: Session, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Insert or update by name; returns the names inserted (not updated)."""
    if not rows:
        return []
    base = insert(CrawlSource)
    stmt: Any = base.on_conflict_do_update(
        index_elements=[CrawlSource.name],
        set_={k: getattr(base.excluded, k)
              for k in ("kind", "target", "organization_hint", "every_s", "min_interval_s")},
        # xmax = 0 marks a row this statement inserted rather than updated.
    ).returning(CrawlSource.name, literal_column("(xmax = 0)").label("inserted"))
    return [r.name for r in session.execute(stmt, list(rows)) if r.inserted]


def read_source_rows(path: Path) -> Iterable[dict[str, Any]]:
    """Rows of a board list: the shipped ATS JSON list, JSON lines, or CSV with a header.

    Each row names a kind (`kind` or `platform`) and a board (`board` or `slug`), or a
    `target`; optional `name` / `organization` (employer hint) and `every` (cadence).
    """
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc})") from exc
    stripped = raw.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise SourceFormatError(f"{path}: not valid JSON ({exc})") from exc
        return [r if isinstance(r, dict) else {"_bad": r} for r in data]
    if stripped.startswith("{"):
        rows = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise SourceFormatError(f"{path}: line {n} is not JSON ({exc})") from exc
        return rows
    reader = csv.DictReader(io.StringIO(stripped))
    cols = {c.strip().lower() for c in reader.fieldnames or []}
    if "target" not in cols and not ({"kind", "platform"} & cols and {"board", "slug"} & cols):
        raise SourceFormatError(
            f"{path}: CSV needs a header with kind,board (or platform,slug, or target)"
        )
    return [{k.strip().lower(): v for k, v in r.items() if k} for r in reader]


def import_sources(
    session: Session,
    rows: Iterable[dict[str, Any]],
    *,
    every_s: int = DEFAULT_EVERY_S,
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
) -> ImportReport:
    """Register every row whose kind can be crawled; others are counted with the reason."""
    report = ImportReport()
    specs: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not isinstance(row, dict) or "_bad" in row:
            report.skipped["not an object"] += 1
            continue
        kind = str(row.get("kind") or row.get("platform") or "").strip().lower() or None
        if kind and kind not in kinds():
            report.skipped[f"no {kind} adapter yet"] += 1
            continue
        board = str(row.get("board") or row.get("slug") or "").strip()
        target = str(row.get("target") or "").strip() or (f"{kind}:{board}" if board else "")
        if not target:
            report.skipped["no board or target"] += 1
            continue
        try:
            spec = describe_target(target, kind)
            every = parse_every(row["every"]) if row.get("every") else every_s
        except SourceFormatError as exc:
            report.skipped[str(exc)[:80]] += 1
            continue
        org = row.get("organization") or row.get("name")
        specs[spec.name] = _row(spec, every, str(org) if org else None, min_interval_s)
    inserted = set(_upsert(session, list(specs.values())))
    report.added = len(inserted)
    report.updated = len(specs) - len(inserted)
    return report


def list_sources(session: Session, names: Sequence[str] = ()) -> list[CrawlSource]:
    """Every source (or the named ones), in name order."""
    stmt = select(CrawlSource).order_by(CrawlSource.name)
    if names:
        stmt = stmt.where(CrawlSource.name.in_(list(names)))
    return list(session.scalars(stmt))


def resolve_names(session: Session, names: Sequence[str]) -> list[int]:
    """Ids of the named sources (a name, or a target that describes to it); error if unknown."""
    wanted: dict[str, str] = {}
    for name in names:
        try:
            wanted[describe_target(name).name] = name
        except SourceFormatError:
            wanted[name] = name
    found = {
        s.name: s.id
        for s in session.scalars(select(CrawlSource).where(CrawlSource.name.in_(list(wanted))))
    }
    missing = [wanted[n] for n in wanted if n not in found]
    if missing:
        raise SourceFormatError(
            f"no such source: {', '.join(missing)} (see `hirehound sources list`)"
        )
    return [found[n] for n in wanted]


def set_enabled(session: Session, names: Sequence[str], enabled: bool) -> int:
    """Enable (due at once, failures forgotten) or disable sources by name."""
    ids = resolve_names(session, names)
    values: dict[str, Any] = {"enabled": enabled}
    if enabled:
        values |= {"disabled_reason": None, "consecutive_failures": 0}
        values["next_due_at"] = func.now()
    else:
        values["disabled_reason"] = "disabled by an operator"
    result = session.execute(update(CrawlSource).where(CrawlSource.id.in_(ids)).values(**values))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
