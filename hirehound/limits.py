"""Every limit a database or parser can hit, checked before it is hit: one place, named.

A hostile or broken record must become one dead letter with a reason, never the failure of
its chunk, its file or its run. PostgreSQL refuses NUL characters in text and JSONB, lone
UTF-16 surrogates, index entries over ~2.7 kB (btree) and tsvectors over 1 MB; Python's JSON
parser raises RecursionError past ~1,000 levels; the csv module's field limit, gzip and
readline are unbounded unless told. `check_record` is the gate every raw record passes on its
way to `raw_postings`; the readers of local files take their caps from here too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from hirehound.records import DeadLetter, SourcePosting

# -- keys stored in btree indexes (a btree entry holds at most 2,704 bytes) --------------------
# raw_postings and postings carry UNIQUE (source, source_id): both in one index entry.
MAX_SOURCE_BYTES = 200
MAX_SOURCE_ID_BYTES = 1000
# postings.canonical_url is indexed; real posting URLs stay far below 2 kB.
MAX_URL_BYTES = 2000
# organizations.normalized_name and organization_aliases.alias_normalized are indexed.
MAX_COMPANY_CHARS = 300
MAX_DOMAIN_CHARS = 253  # the longest DNS name
# -- plain-text fields ---------------------------------------------------------------------
MAX_TITLE_CHARS = 1000
# location, employment type, dates, salary text: a line, never a document.
MAX_SHORT_FIELD_CHARS = 2000
# The description before cleaning (cleaning cuts it to `max_description_chars` after; a 1 MB
# tsvector limit lies beyond that). Past this it is not a posting.
MAX_DESCRIPTION_CHARS = 2_000_000
# -- the stored payload (JSONB holds 255 MB; nothing real comes near this) --------------------
MAX_PAYLOAD_CHARS = 5_000_000
# Nesting of the payload: Python's JSON and PostgreSQL's both recurse per level.
MAX_DEPTH = 64
# -- local files (the network path caps responses at 50 MB in sources/_http.py) --------------
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a file read whole (a board's JSON, a page)
MAX_LINE_BYTES = 8 * 1024 * 1024  # one JSONL record or CSV line
MAX_CSV_FIELD_CHARS = MAX_LINE_BYTES  # the csv module's field limit (it is process-wide)
MAX_STREAM_BYTES = 2 * 1024**3  # a streamed file after decompression: a gzip bomb stops here

_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG = re.compile(r"<[^>]*>|<[a-zA-Z/!?][^<>]*$")
# Markup that runs code, in text meant to be plain (a description without HTML).
_ACTIVE = re.compile(r"<\s*/?\s*(?:script|style|iframe|frame|object|embed|svg|math|img|link|"
                     r"meta|base|form|input|video|audio|body)\b|<[^>]*\son[a-z]+\s*=", re.I)
# Plain-text fields of SourcePosting (no markup meant): tags are dropped, not kept as text.
_PLAIN = ("title", "company", "company_domain", "location", "employment_type", "date_posted",
          "valid_through", "salary")
_SHORT = {"location": MAX_SHORT_FIELD_CHARS, "employment_type": MAX_SHORT_FIELD_CHARS,
          "date_posted": MAX_SHORT_FIELD_CHARS, "valid_through": MAX_SHORT_FIELD_CHARS,
          "salary": MAX_SHORT_FIELD_CHARS, "company_domain": MAX_DOMAIN_CHARS,
          "company": MAX_COMPANY_CHARS, "title": MAX_TITLE_CHARS}
_SAFE_SCHEMES = ("http", "https")


class LimitExceeded(ValueError):
    """A record over a limit; `reason` is the short code its dead letter carries."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def scrub_text(s: str) -> str:
    """Text PostgreSQL accepts: NULs dropped, lone surrogates replaced by U+FFFD."""
    if "\x00" in s:
        s = s.replace("\x00", "")
    if _SURROGATE.search(s):
        s = _SURROGATE.sub("\ufffd", s)
    return s


def scrub_json(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of a JSON value JSONB accepts: strings scrubbed, NaN/Infinity as null.

    Raises LimitExceeded for nesting past `max_depth`, a NUL in a key (keys are identity:
    silently changing them could merge two), or more text than MAX_PAYLOAD_CHARS.
    """
    budget = [MAX_PAYLOAD_CHARS]

    def walk(v: Any, depth: int) -> Any:
        if isinstance(v, str):
            budget[0] -= len(v)
            if budget[0] < 0:
                raise LimitExceeded("payload_too_large",
                                    f"payload holds over {MAX_PAYLOAD_CHARS} characters")
            return scrub_text(v)
        if isinstance(v, bool) or v is None or isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if depth >= max_depth:
            raise LimitExceeded("too_deep", f"payload nested deeper than {max_depth} levels")
        if isinstance(v, dict):
            out = {}
            for k, item in v.items():
                key = k if isinstance(k, str) else str(k)
                if "\x00" in key:
                    raise LimitExceeded("nul_in_key", "payload has a NUL character in a key")
                budget[0] -= len(key)
                out[scrub_text(key)] = walk(item, depth + 1)
            return out
        if isinstance(v, (list, tuple)):
            return [walk(item, depth + 1) for item in v]
        return scrub_text(str(v))

    return walk(value, 0)


def loads(text: str | bytes) -> Any:
    """`json.loads` whose nesting bomb is a ValueError like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise LimitExceeded("too_deep", "JSON nested too deeply to parse") from None


def strip_tags(s: str) -> str:
    """Plain text: markup removed (a `<script>` in a company name is not a name); again
    while removing one tag joins the pieces of another (`<scr<b>ipt>`)."""
    for _ in range(5):
        if "<" not in s:
            break
        stripped = _TAG.sub(" ", s)
        if stripped == s:
            break
        s = stripped
    return s.strip()


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None (`javascript:`, `data:` and the like)."""
    if url is None:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in _SAFE_SCHEMES else None


def _bytes(s: str) -> int:
    return len(s.encode("utf-8", "replace"))


def _check_fields(p: SourcePosting) -> SourcePosting:
    source = scrub_text(p.source)
    source_id = scrub_text(p.source_id)
    if not source or _bytes(source) > MAX_SOURCE_BYTES:
        raise LimitExceeded("bad_source", f"source name empty or over {MAX_SOURCE_BYTES} bytes")
    if not source_id or _bytes(source_id) > MAX_SOURCE_ID_BYTES:
        raise LimitExceeded("source_id_too_long",
                            f"source id of {_bytes(source_id)} bytes (max {MAX_SOURCE_ID_BYTES})")
    changes: dict[str, Any] = {"source": source, "source_id": source_id}
    url = p.url
    if url is not None:
        url = scrub_text(url)
        if _bytes(url) > MAX_URL_BYTES:
            raise LimitExceeded("url_too_long",
                                f"URL of {_bytes(url)} bytes (max {MAX_URL_BYTES})")
        url = safe_url(url)  # a javascript: URL is dropped, the posting kept
    changes["url"] = url
    for name in _PLAIN:
        value = getattr(p, name)
        if value is None:
            continue
        if len(value) > 4 * _SHORT[name]:  # before any regex runs over it
            raise LimitExceeded(f"{name}_too_long", f"{name} of {len(value)} characters")
        value = strip_tags(scrub_text(value)) or None
        if value is not None and len(value) > _SHORT[name]:
            raise LimitExceeded(f"{name}_too_long",
                                f"{name} of {len(value)} characters (max {_SHORT[name]})")
        changes[name] = value
    for name in ("description_html", "description"):
        value = getattr(p, name)
        if value is None:
            continue
        if len(value) > MAX_DESCRIPTION_CHARS:
            raise LimitExceeded("description_too_long",
                                f"description of {len(value)} characters "
                                f"(max {MAX_DESCRIPTION_CHARS})")
        value = scrub_text(value)
        if name == "description" and _ACTIVE.search(value):
            value = strip_tags(value)  # plain text is shown as it is: no live markup in it
        changes[name] = value
    changes["payload"] = scrub_json(p.payload)
    return replace(p, **changes)


def check_record(p: SourcePosting) -> SourcePosting | DeadLetter:
    """The record made safe to store (NULs, surrogates, markup in plain fields, non-http URLs
    cleaned), or its dead letter (step `limits`) naming the limit it is over."""
    try:
        return _check_fields(p)
    except LimitExceeded as exc:
        return DeadLetter("limits", exc.reason, str(exc), None, _short(p.source),
                          _short(p.source_id), letter_payload(p.payload))
    except RecursionError:  # a payload built deeper than the interpreter walks
        return DeadLetter("limits", "too_deep", "payload nested too deeply", None,
                          _short(p.source), _short(p.source_id), None)


def _short(s: str | None, n: int = 200) -> str | None:
    return None if s is None else scrub_text(s[:n])


def letter_payload(payload: Any) -> Any:
    """What a dead letter may keep of a payload: the payload itself when it is safe, else a
    bounded, scrubbed summary (the letter must never fail where the record did)."""
    try:
        return scrub_json(payload)
    except (LimitExceeded, RecursionError):
        keys = list(payload)[:50] if isinstance(payload, dict) else []
        return {"unsafe_payload": True, "type": type(payload).__name__,
                "keys": [scrub_text(str(k))[:200] for k in keys]}

