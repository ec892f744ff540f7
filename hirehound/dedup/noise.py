"""Noise a copy of a posting meets on its way through other systems, as generators.

Each class is a function `(posting, rng) -> posting` over the generic import record (`title`,
`company`, `location`, `description_html` or `description`); tests and
`benchmarks/dedup_eval.py` use them to check that a noisy copy still meets its original. Markup
is left intact: noise touches text between tags and never an entity reference.

Classes: homoglyphs, zero_width (zero-width characters and non-breaking spaces), full_width,
accents_stripped, accents_decomposed, quotes (curly <-> straight, dashes, ellipsis),
mojibake (UTF-8 read as cp1252), location (the same place spelled another way).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from hirehound.geo import parse_location

Record = dict[str, Any]

# Latin letters and the Cyrillic / Greek letters that look the same.
_HOMOGLYPHS = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
    "j": "ј", "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "Ο", "P": "Р",
    "T": "Т", "X": "Х", "C": "С", "I": "І", "N": "Ν", "Z": "Ζ",
}
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
_SPACES = ["\u00a0", "\u202f", "\u2009"]
_MARKUP = re.compile(r"(<[^>]*>|&#?\w+;)")
_WORD = re.compile(r"[A-Za-z]{4,}")


def _text_parts(s: str, fn: Callable[[str], str]) -> str:
    """Apply `fn` to the text between tags and entity references only."""
    return "".join(p if _MARKUP.fullmatch(p) else fn(p) for p in _MARKUP.split(s))


def _map_fields(rec: Record, fn: Callable[[str], str]) -> Record:
    out = dict(rec)
    for k in ("title", "company", "description_html", "description"):
        if out.get(k):
            out[k] = _text_parts(out[k], fn) if k == "description_html" else fn(out[k])
    return out


def homoglyphs(rec: Record, rng: random.Random, rate: float = 0.15) -> Record:
    """Some Latin letters replaced by Cyrillic/Greek look-alikes (spam filters' evasion)."""
    return _map_fields(
        rec,
        lambda s: "".join(
            _HOMOGLYPHS[c] if c in _HOMOGLYPHS and rng.random() < rate else c for c in s
        ),
    )


def zero_width(rec: Record, rng: random.Random, rate: float = 0.2) -> Record:
    """Zero-width characters inside words, non-breaking spaces between some of them."""

    def noisy(s: str) -> str:
        s = _WORD.sub(
            lambda m: m.group(0)[:2] + rng.choice(_ZERO_WIDTH) + m.group(0)[2:]
            if rng.random() < rate
            else m.group(0),
            s,
        )
        return re.sub(" ", lambda _: rng.choice(_SPACES) if rng.random() < rate else " ", s)

    return _map_fields(rec, noisy)


def full_width(rec: Record, rng: random.Random) -> Record:
    """Title and company in full-width forms, and about a third of the text's sentences."""

    def wide(s: str) -> str:
        return "".join(
            chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s
        )

    out = dict(rec)
    for k in ("title", "company"):
        if out.get(k):
            out[k] = wide(out[k])
    for k in ("description_html", "description"):
        if out.get(k):
            fn = lambda p: ". ".join(  # noqa: E731
                wide(x) if rng.random() < 0.33 else x for x in p.split(". ")
            )
            out[k] = _text_parts(out[k], fn) if k == "description_html" else fn(out[k])
    return out


def accents_stripped(rec: Record, rng: random.Random) -> Record:
    """Accents dropped ("Zürich" -> "Zurich"), as an ASCII-only system writes."""

    def strip(s: str) -> str:
        return "".join(
            c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)
        )

    out = _map_fields(rec, strip)
    if out.get("location"):
        out["location"] = strip(out["location"])
    return out


def accents_decomposed(rec: Record, rng: random.Random) -> Record:
    """Accents as combining marks (NFD, as macOS file systems and some APIs write)."""
    out = _map_fields(rec, lambda s: unicodedata.normalize("NFD", s))
    if out.get("location"):
        out["location"] = unicodedata.normalize("NFD", out["location"])
    return out


_CURLY = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}


def quotes(rec: Record, rng: random.Random) -> Record:
    """Curly quotes made straight and straight ones curly; dashes and ellipses likewise."""

    def swap(s: str) -> str:
        if any(c in s for c in _CURLY):
            for a, b in _CURLY.items():
                s = s.replace(a, b)
            return s
        s = re.sub(r"(\w)'(\w)", "\\1’\\2", s)
        s = re.sub(r'"([^"]*)"', "“\\1”", s)
        return s.replace(" - ", " – ").replace("...", "…")

    return _map_fields(rec, swap)


def _cp1252(b: int) -> str:
    try:
        return bytes([b]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(b)


_MOJIBAKE = {b: _cp1252(b) for b in range(256)}


def mojibake(rec: Record, rng: random.Random) -> Record:
    """UTF-8 bytes read as cp1252 ("’" -> "â€™", "é" -> "Ã©"). A text that is all ASCII is
    given curly quotes and dashes first, so that there is something to garble."""

    def garble(s: str) -> str:
        if s.isascii():
            s = s.replace("'", "’").replace(" - ", " – ")
        return "".join(_MOJIBAKE[b] for b in s.encode("utf-8"))

    return _map_fields(rec, garble)


_US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}
_COUNTRIES = {
    "US": ["United States", "USA", "United States of America", "US"],
    "GB": ["United Kingdom", "UK", "England"],
    "DE": ["Germany", "Deutschland"],
    "CA": ["Canada"],
    "FR": ["France"],
    "NL": ["Netherlands"],
    "ES": ["Spain"],
    "IE": ["Ireland"],
    "IN": ["India"],
    "AU": ["Australia"],
    "IL": ["Israel"],
    "SG": ["Singapore"],
    "JP": ["Japan"],
    "BR": ["Brazil"],
    "MX": ["Mexico"],
    "PL": ["Poland"],
    "CH": ["Switzerland"],
    "SE": ["Sweden"],
    "PT": ["Portugal"],
}


def respell_location(location: str | None, rng: random.Random) -> str | None:
    """The same place written another way: state name <-> code, country added or dropped,
    "Greater X Area", "Remote - US" <-> "United States (Remote)". None when the place is
    not understood (the string is kept)."""
    if not location:
        return None
    loc = parse_location(location)
    names = _COUNTRIES.get(loc.country or "", [])
    country = rng.choice(names) if names else None
    if loc.city:
        city = "New York" if loc.city == "New York City" else loc.city
        alone = parse_location(city)
        # "Greater X Area" only where X alone means this X (not Norwalk, CA for Norwalk, OH).
        unambiguous = (alone.region, alone.country) == (loc.region, loc.country)
        options = [f"Greater {city} Area", f"{city} Metropolitan Area"] if unambiguous else []
        if loc.country == "US" and loc.region in _US_STATES:
            state = _US_STATES[loc.region]
            options += [f"{city}, {state}", f"{city}, {loc.region}, {country}",
                        f"{city}, {state}, United States"]
        elif country:
            options += [f"{city}, {country}"] + ([city] if unambiguous else [])
        elif unambiguous:
            options.append(city)
        if loc.remote is False and "hybrid" in location.lower():
            options = [f"{o} (Hybrid)" for o in options]
        choices = [o for o in options if o != location]
        return rng.choice(choices) if choices else None
    if loc.remote and country:
        return rng.choice(
            [f"Remote - {country}", f"{country} (Remote)", f"Remote ({country})",
             f"{country} - Remote", f"Remote, {country}"]
        )
    return None


def location(rec: Record, rng: random.Random) -> Record:
    """The location re-spelled (`respell_location`); unchanged when not understood."""
    out = dict(rec)
    new = respell_location(rec.get("location"), rng)
    if new:
        out["location"] = new
    return out


NOISE: dict[str, Callable[[Record, random.Random], Record]] = {
    "homoglyphs": homoglyphs,
    "zero_width": zero_width,
    "full_width": full_width,
    "accents_stripped": accents_stripped,
    "accents_decomposed": accents_decomposed,
    "quotes": quotes,
    "mojibake": mojibake,
    "location": location,
}


def add_noise(rec: Record, kind: str, seed: int | str) -> Record:
    """`rec` with noise class `kind`, deterministic for a seed."""
    return NOISE[kind](rec, random.Random(f"{kind}:{seed}"))


__all__ = ["NOISE", "add_noise", "respell_location"]
