"""Small helpers shared by the source adapters: text decoding, ids, names, salary text."""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from hirehound.records import BadRecord

# Encodings tried after UTF-8 when charset detection is unavailable or unsure.
_FALLBACK_ENCODING = "cp1252"


def decode_bytes(data: bytes) -> str:
    """Decode a payload as UTF-8 (BOM allowed), else by charset detection; never raises."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        return data.decode("utf-32", errors="replace")
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace")
    return data.decode(guess_encoding(data), errors="replace")


def _latin_only(s: str) -> bool:
    return all(
        c.isascii() or not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in s
    )


def guess_encoding(data: bytes) -> str:
    """The most likely encoding of non-UTF-8 bytes (charset-normalizer, biased to cp1252).

    Detection can't tell Western from Central European single-byte text on a short line
    ("à" came back as cp1250 "ŕ"); postings are mostly Western, so when the detected text is
    Latin script and cp1252 decodes it to Latin script too, cp1252 wins. Cyrillic, Greek,
    Hebrew, CJK and the like keep the detected encoding.
    """
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - installed with trafilatura/requests
        return _FALLBACK_ENCODING
    sample = data[:65536]
    best = from_bytes(sample).best()
    # Detection on short or ambiguous input may say ascii/utf_8 although decoding failed.
    if best is None or best.encoding in {"ascii", "utf_8"}:
        return _FALLBACK_ENCODING
    decoded = str(best)
    # Single-byte encodings only (one char per byte): UTF-16, CJK etc. keep their detection.
    if len(decoded) == len(sample) and _latin_only(decoded):
        try:
            if _latin_only(sample.decode(_FALLBACK_ENCODING)):
                return _FALLBACK_ENCODING
        except UnicodeDecodeError:
            pass
    return best.encoding


class LineDecoder:
    """Decode lines of a stream one by one; the fallback encoding is detected once, on demand."""

    def __init__(self) -> None:
        self._fallback: str | None = None

    def __call__(self, line: bytes) -> str:
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            if self._fallback is None:
                self._fallback = guess_encoding(line)
            return line.decode(self._fallback, errors="replace")


def text(value: Any) -> str | None:
    """A stripped string or None (numbers become strings; empty strings become None)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas-written files
        return None
    s = str(value).strip()
    return s or None


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is an object, else an empty one (sources put null or lists there)."""
    return value if isinstance(value, dict) else {}


def as_bool(value: Any) -> bool | None:
    """Booleans as JSON or CSV write them ("true", "False", "1", "")."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)) and value == value:
        return bool(value)
    s = str(value).strip().lower()
    if s in {"true", "t", "yes", "y", "1"}:
        return True
    if s in {"false", "f", "no", "n", "0"}:
        return False
    return None


def stable_id(*parts: str | None) -> str:
    """A stable id from parts (sha1 prefix), for records that carry no id of their own."""
    raw = "\x1f".join(p or "" for p in parts)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:24]


def epoch_ms_to_iso(value: Any) -> str | None:
    """Lever's createdAt (milliseconds since the epoch) as an ISO 8601 UTC timestamp."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text(value)
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def host_of(url: str | None) -> str | None:
    """The host of a URL without a leading `www.`, or None."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


def bad(
    source: str, record: Any, error: str, detail: str, source_id: str | None = None
) -> BadRecord:
    """A BadRecord whose payload is the record (as given, for the dead-letter table)."""
    return BadRecord(source=source, source_id=source_id, payload=record, error=error, detail=detail)


def identify(
    source: str, job: Any, *, what: str = "job", title_key: str = "title"
) -> tuple[dict[str, Any], str, str] | BadRecord:
    """A job entry's (object, id, title), or the BadRecord saying which is missing."""
    if not isinstance(job, dict):
        return bad(
            source, job, "not_an_object", f"{what} entry is a {type(job).__name__}, not an object"
        )
    job_id = text(job.get("id"))
    if not job_id:
        return bad(source, job, "missing_id", f"{what} has no 'id'")
    title = text(job.get(title_key))
    if not title:
        named = "" if title_key == "title" else f" ('{title_key}')"
        return bad(source, job, "missing_title", f"{what} has no title{named}", source_id=job_id)
    return job, job_id, title


def unescape_html(value: str | None) -> str | None:
    """HTML that was HTML-escaped once more (Greenhouse `content`, some JSON-LD pages)."""
    if value is None:
        return None
    if "<" not in value and "&lt;" in value:
        return html.unescape(value)
    return value


def salary_text(
    currency: Any, low: Any, high: Any, unit: Any = None, *, exact: Any = None
) -> str | None:
    """Render a structured salary as text ("USD 100000-120000 YEAR") for the normalize step."""

    def num(v: Any) -> str | None:
        if isinstance(v, bool) or v is None:
            return None
        if isinstance(v, (int, float)):
            if v != v:  # NaN
                return None
            return str(int(v)) if float(v).is_integer() else f"{v:g}"
        return text(v)

    lo, hi, ex = num(low), num(high), num(exact)
    amount = (lo if lo == hi else f"{lo}-{hi}") if lo and hi else lo or hi or ex
    if not amount:
        return None
    return " ".join(p for p in (text(currency), amount, text(unit)) if p)


# --- sniffing: what a payload's first bytes say (each adapter's `sniff` uses these) -------

_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<script[\s>]", re.I)


@functools.cache
def _key(name: str) -> re.Pattern[str]:
    # A JSON key, not the same word inside an escaped string ("\"job_url\": ...").
    return re.compile(rf'(?<!\\)"{re.escape(name)}"\s*:')


def has_key(head: str, name: str) -> bool:
    """Whether the (JSON) text has `name` as a key somewhere."""
    return bool(_key(name).search(head))


def looks_json(head: str) -> bool:
    """Text that starts like a JSON document (leading BOM and whitespace already stripped)."""
    return head[:1] in ("[", "{")


def looks_markup(head: str) -> bool:
    """Text that is HTML (or XML): starts with '<' or has HTML markers near the top."""
    return not looks_json(head) and (head[:1] == "<" or bool(_HTML.search(head[:4096])))


def dialect(header: str) -> type[csv.Dialect]:
    """Tab-separated when the header has more tabs than commas, else comma-separated."""
    return csv.excel_tab if header.count("\t") > header.count(",") else csv.excel


def csv_columns(head: str) -> set[str]:
    """The lower-cased column names of a CSV header line (empty when it is JSON or markup)."""
    if not head or looks_json(head) or looks_markup(head):
        return set()
    first = head.splitlines()[0]
    try:
        return {c.strip().lower() for c in next(csv.reader([first], dialect(first)))}
    except (csv.Error, StopIteration):
        return set()


# --- employer names from board slugs -------------------------------------------------------

_TLD_SUFFIX = re.compile(r"\.(?:com|io|ai|xyz|co|app|tech|net|org|dev|so)$", re.IGNORECASE)
# Board slugs often wrap the name: "withpulley", "tilthq", "hitpayapp.com", "Graphitehq".
_AFFIXES = re.compile(r"^(?:with|join|get|try)(?=[a-z]{3})|(?<=[a-z]{3})(?:hq|app|inc)$", re.I)
_ACRONYMS = {"ai", "ml", "hq", "io", "xr", "vr"}


def slug_to_name(slug: str) -> str:
    """Display name from a board slug when the postings don't spell it out.

    `Iodine%20Software` -> `Iodine Software`, `finni-health` -> `Finni Health`, `basis-ai` ->
    `Basis AI`; mixed-case slugs are kept (`DeepL`, `Commure-Athelas`); domains lose their
    suffix (`jimdo.com` -> `Jimdo`).
    """
    name = unquote(slug).strip()
    base = _TLD_SUFFIX.sub("", name) or name
    if any(c.isupper() for c in base):
        return base
    words = [w for w in re.split(r"[\s_\-]+", base) if w]
    if not words:
        return name
    return " ".join(w.upper() if w in _ACRONYMS else w[:1].upper() + w[1:] for w in words)


def _spellings(cand: str, corpus: str) -> Counter[str]:
    chars = [c for c in cand if c.isalnum()]
    if len(chars) < 2:
        return Counter()
    pattern = r"[\s\-.]?".join(re.escape(c) for c in chars)
    hits = re.finditer(rf"(?<![\w.@/-]){pattern}(?![\w@/]|\.\w)", corpus, re.IGNORECASE)
    # Lower-case hits are mostly URLs, e-mails or ordinary words ("rain", "focused").
    return Counter(
        s for m in hits if (s := m.group(0))[0].isupper() or s[0].isdigit() if "\n" not in s
    )


def board_company(slug: str, texts: Iterable[str | None] = ()) -> str:
    """Employer name for a board slug, spelled the way its postings write it when they do.

    Looks for the slug's letters (spaces, hyphens or dots allowed between them) in the
    postings' text and takes the most frequent capitalised spelling: `ambiencehealthcare` ->
    `Ambience Healthcare`, `li.fi` -> `LI.FI`, `writer` -> `WRITER` (capitals win only when
    far more frequent than any other spelling). Cost: a few regex scans per board.
    """
    raw = unquote(slug).strip()
    candidates = [raw]
    for variant in (_TLD_SUFFIX.sub("", raw), _AFFIXES.sub("", _TLD_SUFFIX.sub("", raw))):
        if variant and variant not in candidates:
            candidates.append(variant)
    corpus = "\n".join(t for t in texts if t)
    if corpus:
        for cand in candidates:
            found = _spellings(cand, corpus)
            if not found:
                continue
            ranked = sorted(found.items(), key=lambda sn: (-sn[1], sn[0]))
            best, count = ranked[0]
            if best.isupper() and len(best) > 3:
                others = [(s, n) for s, n in ranked if not s.isupper()]
                if others and count < 3 * others[0][1]:
                    best = others[0][0]
            return best
    return slug_to_name(raw)
