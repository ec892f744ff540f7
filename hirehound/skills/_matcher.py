"""Dictionary skill matching: one Aho-Corasick automaton over normalized, lowercased text.

Forms come in three kinds (the first letter of each form in the taxonomy file):
- ``i``: case-insensitive ("python", "ruby on rails", "c++", "node.js");
- ``s``: case-sensitive ("REST", "Excel": lowercase "rest"/"excel" are English words);
- ``c``: case-sensitive *and* needs technical context ("Go", "R", "C", "Swift", "Spring"):
  another technology mentioned within a short window, or a word like "developer" right after.

Text and forms go through the same length-preserving normalization (lowercase; hyphens,
underscores and odd whitespace become spaces), so "Ruby-on-Rails" and "amazon-web-services"
meet "ruby on rails" and "amazon web services", and a match's offsets index the original text
for the case-sensitive check.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

# One translation table, applied after str.lower(): all of these keep the length.
_SPACE_LIKE = "-_\t\n\r\x0b\x0c\xa0\u2010\u2011\u2012\u2013\u2014\u2212\u00ad\u200b\u2009\u202f"

# Characters that glue onto a word: "c" must not match inside "c++" or "c#", ".net" not
# inside "asp.net".
_GLUE_AFTER = frozenset("+#")

# How far (characters) a context form ("Go", "R") may sit from another technology.
CONTEXT_WINDOW = 60
_CONTEXT_NEXT = re.compile(
    r"[ \t(]*(?:(?:our|primary|main|a|as|the|backend|based)[ \t]+){0,3}"
    r"(?:developers?|engineers?|programm(?:er|ers|ing)|code|lang(?:uage)?|backend|"
    r"services?|microservices?|experience|skills?)\b",
    re.IGNORECASE,
)
# "Series C", "Vitamin C", "Type R", "Plan B": a letter after these words is no language.
_CONTEXT_BAD_BEFORE = re.compile(
    r"(?:series|vitamin|class|type|grade|level|tier|plan|section|part|appendix|phase|round|"
    r"option|category|rank|schedule|form|model|unit|block|building|hall|wing|floor)[ \t]*$",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Lowercase and map hyphen/underscore/whitespace variants to a space, keeping the length."""
    low = text.lower()
    if len(low) != len(text):
        # A few characters ("İ") lowercase to two; keep offsets aligned with the original.
        low = "".join(c.lower()[0] for c in text)
    # str.translate with a dict costs ~0.3 ms on a 5k-char posting; replace() is ~20x faster
    for c in _SPACE_LIKE:
        if c in low:
            low = low.replace(c, " ")
    return low


@dataclass(frozen=True, slots=True)
class TaxonomyRow:
    """One skill as stored in the taxonomy file."""

    id: str
    name: str
    category: str
    sources: tuple[str, ...]
    forms: tuple[tuple[str, str], ...]  # (kind "i"/"s"/"c", surface form)


def read_taxonomy(path: Path) -> list[TaxonomyRow]:
    """Read ``id, name, category, sources, forms`` rows from the gzipped TSV."""
    rows: list[TaxonomyRow] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header[:5] != ["id", "name", "category", "sources", "forms"]:
            raise ValueError(f"{path}: unexpected header {header!r}")
        for line in fh:
            sid, name, category, sources, forms = line.rstrip("\n").split("\t")
            parsed = tuple((f[0], f[2:]) for f in forms.split("|") if f)
            rows.append(TaxonomyRow(sid, name, category, tuple(sources.split(",")), parsed))
    return rows


# Automaton payload: (skill index, kind, original form, is technology).
_Payload = tuple[int, str, str, bool]


def build_automaton(rows: list[TaxonomyRow]) -> Matcher:
    """Index every form under its normalized key; a key may carry several payloads."""
    by_key: dict[str, list[_Payload]] = {}
    for idx, row in enumerate(rows):
        tech = row.category == "technology"
        for kind, form in row.forms:
            by_key.setdefault(normalize(form), []).append((idx, kind, form, tech))
    automaton = ahocorasick.Automaton()
    letters: list[str] = []
    for key, payloads in by_key.items():
        if len(key) == 1:
            # "C", "R": an automaton key of one letter fires ~500 times per posting (~0.2 ms
            # of Python); a case-sensitive regex over the original text is far cheaper.
            letters.extend(re.escape(p[2]) for p in payloads if p[1] != "i")
            automaton.add_word("\x00" + key, (0, tuple(payloads)))  # stored, never matched
            continue
        automaton.add_word(key, (len(key), tuple(payloads)))
    automaton.make_automaton()
    return Matcher(automaton, re.compile(rf"\b(?:{'|'.join(letters)})\b")
                   if letters else None)


@dataclass(frozen=True, slots=True)
class Matcher:
    """The automaton plus a regex for one-letter forms and their payloads."""

    automaton: ahocorasick.Automaton
    letters: re.Pattern[str] | None

    def payloads(self, form: str) -> tuple[_Payload, ...]:
        return self.automaton.get("\x00" + form.lower())[1]  # type: ignore[no-any-return]


def _bounded(norm: str, start: int, end: int) -> bool:
    """Whether norm[start:end] stands as its own token (see module docstring)."""
    if start > 0:
        c = norm[start - 1]
        if c.isalnum():
            return False
        if c == "." and start > 1 and norm[start - 2].isalnum():
            return False  # "config.yaml", "nuxt.vue": part of a file or dotted name
    if end < len(norm):
        c = norm[end]
        if c.isalnum() or c in _GLUE_AFTER:
            return False
        if c == "." and end + 1 < len(norm) and norm[end + 1].isalnum():
            return False  # "node" inside "node.js"
    return True


def _hits(
    matcher: Matcher, text: str, norm: str
) -> Iterator[tuple[int, int, tuple[_Payload, ...]]]:
    for last, (length, payloads) in matcher.automaton.iter(norm):
        yield last + 1 - length, last + 1, payloads
    if matcher.letters is not None:
        for m in matcher.letters.finditer(text):
            yield m.start(), m.end(), matcher.payloads(m.group())


def find(matcher: Matcher, text: str) -> list[tuple[int, int, int]]:
    """Return ``(start, end, skill index)`` matches, leftmost-longest, in text order."""
    if not text:
        return []
    norm = normalize(text)
    found: list[tuple[int, int, int, str, bool]] = []
    for start, end, payloads in _hits(matcher, text, norm):
        if not _bounded(norm, start, end):
            continue
        for idx, kind, form, tech in payloads:
            if kind != "i":
                if text[start:end] != form:
                    continue
                if kind == "c" and (
                    (start > 0 and text[start - 1] == "-")
                    or (end < len(text) and text[end] == "-")
                ):
                    continue  # "Go-to-market", "C-level", "R-squared"
            found.append((start, end, idx, kind, tech))
            break
    if not found:
        return []
    found.sort(key=lambda m: (m[0], m[0] - m[1]))
    kept: list[tuple[int, int, int, str, bool]] = []
    last_end = -1
    for m in found:
        if m[0] >= last_end:
            kept.append(m)
            last_end = m[1]
    out: list[tuple[int, int, int]] = []
    anchors = [m[0] for m in kept if m[4] and m[3] != "c"]
    for start, end, idx, kind, _tech in kept:
        if kind == "c" and not _has_context(text, start, end, anchors):
            continue
        out.append((start, end, idx))
    return out


def _has_context(text: str, start: int, end: int, anchors: list[int]) -> bool:
    """A context form needs a technology nearby or a telling word right after it."""
    if _CONTEXT_BAD_BEFORE.search(text, max(0, start - 12), start):
        return False
    for a in anchors:
        if abs(a - start) <= CONTEXT_WINDOW:
            return True
    return _CONTEXT_NEXT.match(text, end) is not None
