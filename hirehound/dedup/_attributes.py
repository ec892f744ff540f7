"""Attribute equivalence: same employer, same role (title), same place.

These rules, not text similarity, separate the hard negatives: one requisition posted in two
cities (identical text, other location), two roles sharing a company's boilerplate (other title),
the same title at another employer (other organization). Text only ever confirms a match the
attributes allow.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hirehound.geo import parse_location
from hirehound.text import fold_for_match

_WORD = re.compile(r"[^\W_]+")

# Legal forms dropped from company names ("Iodine Software, Inc." = "Iodine Software").
_LEGAL = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "l",
        "l",
        "c",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "mbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "b",
        "v",
        "nv",
        "plc",
        "pty",
        "pte",
        "srl",
        "spa",
        "s",
        "p",
        "a",
        "oy",
        "ab",
        "as",
        "aps",
        "kg",
        "kgaa",
        "se",
        "lp",
        "llp",
        "pc",
        "pllc",
        "ug",
        "ltda",
        "sl",
        "holdings",
        "group",
        "the",
    ]
)

# Title abbreviations that mean the same word. Level words are never merged with one another:
# "Sr." = "Senior", but Senior != Staff != Principal, II != III, and "Lead" stays.
_TITLE_ABBREV = {
    "sr": "senior",
    "snr": "senior",
    "sen": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "dir": "director",
    "assoc": "associate",
    "asst": "assistant",
    "mgmt": "management",
    "acct": "account",
    "exec": "executive",
    "eng": "engineer",
    "engr": "engineer",
    "dev": "developer",
    "admin": "administrator",
    "rep": "representative",
    "intl": "international",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "swe": "software engineer",
    "sde": "software engineer",
    "sw": "software",
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "fulltime": "full time",
    "parttime": "part time",
}
# Work-arrangement words: a trailing "(Remote)" / "- Hybrid" names the place, not the role.
_ARRANGEMENT = frozenset(
    [
        "remote",
        "hybrid",
        "onsite",
        "on",
        "site",
        "office",
        "in",
        "person",
        "based",
        "fully",
        "full",
        "time",
        "only",
        "anywhere",
        "wfh",
        "home",
        "work",
        "from",
        "within",
        "or",
        "and",
    ]
)
# Gender and diversity markers in German/French/Dutch titles: "(m/w/d)", "(f/m/x)", "(H/F)".
_GENDER = re.compile(
    r"[\(\[]\s*(?:[mfwdxh]|all|gn|div|\*)(?:\s*[/|,]\s*(?:[mfwdxh]|div|\*|i|x))+\s*[\)\]]"
    r"|[\(\[]\s*(?:all genders?|gn\*?|w/m/d|m/w/d)\s*[\)\]]",
    re.IGNORECASE,
)
_SEGMENT_SPLIT = re.compile(r"\s+[-–—|/:]\s+|\s*[,;]\s*|\s*[\(\)\[\]]\s*")

# Place aliases (a copy may spell the country or state differently).
_PLACE_ALIASES = {
    "united states of america": "us",
    "united states": "us",
    "usa": "us",
    "u s a": "us",
    "u s": "us",
    "america": "us",
    "united kingdom": "uk",
    "great britain": "uk",
    "gb": "uk",
    "england": "uk",
    "deutschland": "germany",
    "new york city": "new york",
    "nyc": "new york",
    "sf": "san francisco",
    "bay area": "san francisco",
    "la": "los angeles",
    "bengaluru": "bangalore",
    "munchen": "munich",
    "koln": "cologne",
    "wien": "vienna",
    "praha": "prague",
    "warszawa": "warsaw",
    "lisboa": "lisbon",
    "roma": "rome",
    "milano": "milan",
    "zurich": "zurich",
    "geneve": "geneva",
}
_US_STATES = {
    "alabama": "al",
    "alaska": "ak",
    "arizona": "az",
    "arkansas": "ar",
    "california": "ca",
    "colorado": "co",
    "connecticut": "ct",
    "delaware": "de",
    "florida": "fl",
    "georgia": "ga",
    "hawaii": "hi",
    "idaho": "id",
    "illinois": "il",
    "indiana": "in",
    "iowa": "ia",
    "kansas": "ks",
    "kentucky": "ky",
    "louisiana": "la",
    "maine": "me",
    "maryland": "md",
    "massachusetts": "ma",
    "michigan": "mi",
    "minnesota": "mn",
    "mississippi": "ms",
    "missouri": "mo",
    "montana": "mt",
    "nebraska": "ne",
    "nevada": "nv",
    "new hampshire": "nh",
    "new jersey": "nj",
    "new mexico": "nm",
    "north carolina": "nc",
    "north dakota": "nd",
    "ohio": "oh",
    "oklahoma": "ok",
    "oregon": "or",
    "pennsylvania": "pa",
    "rhode island": "ri",
    "south carolina": "sc",
    "south dakota": "sd",
    "tennessee": "tn",
    "texas": "tx",
    "utah": "ut",
    "vermont": "vt",
    "virginia": "va",
    "washington": "wa",
    "west virginia": "wv",
    "wisconsin": "wi",
    "wyoming": "wy",
    "district of columbia": "dc",
    "washington dc": "dc",
}
# Words that say nothing about which place: "San Francisco office" = "San Francisco".
_PLACE_FILLER = frozenset(
    [
        "office",
        "offices",
        "hq",
        "headquarters",
        "based",
        "in",
        "the",
        "of",
        "area",
        "metro",
        "metropolitan",
        "region",
        "greater",
        "onsite",
        "on",
        "site",
        "in-office",
        "location",
        "locations",
        "and",
        "or",
    ]
)
_ALIAS_RE = re.compile(
    r"\b("
    + "|".join(sorted(map(re.escape, {**_PLACE_ALIASES, **_US_STATES}), key=len, reverse=True))
    + r")\b"
)


def fold(s: str) -> str:
    """The comparison form of a short field (`hirehound.text.fold_for_match`)."""
    return fold_for_match(s)


@lru_cache(maxsize=65536)
def company_key(name: str | None) -> str:
    """Employer name without legal form, case, spaces or punctuation ("" when unknown)."""
    if not name:
        return ""
    words = _WORD.findall(fold(name).replace("&", " and "))
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return "".join(words)


def _place_words(text: str) -> list[str]:
    text = fold(text).replace(".", " ").replace("&", " and ")
    text = " ".join(_WORD.findall(text))
    text = _ALIAS_RE.sub(lambda m: {**_PLACE_ALIASES, **_US_STATES}[m.group(1)], text)
    return text.split()


@lru_cache(maxsize=65536)
def location_tokens(location_raw: str | None) -> frozenset[str]:
    """Place words of a location string, aliases resolved, filler dropped."""
    if not location_raw:
        return frozenset()
    words = _place_words(location_raw)
    # "Headquarters" alone is all filler: keep the words rather than lose the place.
    return frozenset(w for w in words if w not in _PLACE_FILLER) or frozenset(words)


@lru_cache(maxsize=65536)
def title_key(title: str | None, location_raw: str | None = None) -> str:
    """Role identity of a title: case, punctuation, abbreviations, a gender marker
    and trailing place / work-arrangement segments ("(Remote)", "- Berlin") ignored."""
    if not title:
        return ""
    t = _GENDER.sub(" ", fold(title)).replace("&", " and ").replace("+", " plus ")
    place = set(location_tokens(location_raw)) | _ARRANGEMENT
    segments = [s for s in _SEGMENT_SPLIT.split(t) if s and s.strip()]
    # Drop trailing segments that only name the posting's own place (or a place containing
    # it: "(US)" for Austin, TX) or a work arrangement.
    while len(segments) > 1:
        tail = _place_words(segments[-1])
        if tail and all(w in place or w in _PLACE_FILLER for w in tail):
            segments.pop()
            continue
        # "- Los Angeles, CA" is two segments naming one place.
        n = next(
            (
                n
                for n in (1, 2)
                if len(segments) > n
                and location_raw
                and _within(", ".join(segments[-n:]), location_raw)
            ),
            0,
        )
        if not n:
            break
        del segments[-n:]
    words: list[str] = []
    for w in _WORD.findall(" ".join(segments)):
        words.extend(_TITLE_ABBREV.get(w, w).split())
    if words and words[-1] == "i":  # "Engineer I" = "Engineer 1"
        words[-1] = "1"
    # Word order is kept: "Staff Software Engineer, iOS" and "Staff iOS Software Engineer" are
    # distinct titles of one employer in the dev set (reordering is a rename, not a copy).
    return " ".join(words)


# A bare "Remote" (no country, region or area named): contains every remote place.
REMOTE_ANYWHERE = "remote:*"
_ANYWHERE = frozenset(["remote", "anywhere", "worldwide", "global", "fully", "wfh", "home"])


@lru_cache(maxsize=65536)
def _parsed_place(location_raw: str, remote: bool | None) -> tuple[str, str, str, bool | None]:
    """(city, region, country, remote) of the folded string, by the GeoNames parser: spellings
    of one place meet ("NYC" / "New York, NY, USA", "SF Bay Area" / "San Francisco, CA",
    "Remote - US" / "United States (Remote)", "Texas" / "TX", a country added or dropped)."""
    folded = fold_for_match(location_raw)
    if "of america" in folded:  # the parser drops "of" as filler and would miss the country
        folded = folded.replace("united states of america", "united states")
    loc = parse_location(folded, remote=remote)
    return (
        fold(loc.city) if loc.city else "",
        (loc.region or "").lower(),
        (loc.country or "").lower(),
        loc.remote,
    )


def _within(segment: str, location_raw: str) -> bool:
    """Whether a place named in a title contains the posting's place (same country, and the
    same region and city where the segment names them)."""
    sc, sr, scc, _ = _parsed_place(segment, None)
    pc, pr, pcc, _ = _parsed_place(location_raw, None)
    if not scc or scc != pcc:
        return False
    return (not sr or sr == pr) and (not sc or sc == pc)


def location_keys(
    location_raw: str | None,
    city: str | None = None,
    region: str | None = None,
    country: str | None = None,
    remote: bool | None = None,
) -> frozenset[str]:
    """Keys of a place; two postings are at the same place when they share one.

    The raw string's place words always give a key; the parsed place gives another: a city
    (with its region and country) or, for a remote posting without a city, the country (or
    region) it is open to ("remote:" when none: remote anywhere). The stored fields stand in
    when the string does not parse.
    """
    keys: set[str] = set()
    toks = location_tokens(location_raw)
    if toks:
        keys.add("raw:" + " ".join(sorted(toks)))
    pc, pr, pcc, prem = _parsed_place(location_raw, remote) if location_raw else ("", "", "", None)
    c = pc or (" ".join(_place_words(city)) if city else "")
    cc = pcc or (fold(country) if country else "")
    rg = pr or (fold(region) if region and not pcc else "")
    rem = prem if prem is not None else remote
    if c:
        keys.add(f"city:{c}|{rg}|{cc}")
    elif rem:
        keys.add(f"remote:{cc}|{rg}")
        if not cc and not rg and toks <= _ANYWHERE:
            keys.add(REMOTE_ANYWHERE)
    return frozenset(keys)


__all__ = [
    "REMOTE_ANYWHERE",
    "company_key",
    "fold",
    "location_keys",
    "location_tokens",
    "title_key",
]
