"""Normalize short posting fields: title and employment type."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable

from hirehound.errors import CleaningError
from hirehound.text._clean import fix_mojibake

__all__ = ["EMPLOYMENT_TYPES", "normalize_employment_type", "normalize_title"]

_TAG = re.compile(r"<[^>]{0,200}>")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Zero-width characters sit inside words ("Engi\u200bneer"): removed, not made a space.
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")
_SPACE = re.compile(r"\s+")
# Leading/trailing characters that are never part of a title: separators, bullets, Markdown.
_LEAD_JUNK = " \t-–—|,;:•·*/\\_~=>"  # not "." (".NET") nor "#" ("C#" is inside anyway)
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_TRAIL_JUNK = " \t-–—|,;:•·*/\\_~=<"
_MAX_TITLE = 300


def normalize_title(title: str | None) -> str:
    """Display form of a title: entities decoded, tags and control characters dropped,
    whitespace collapsed, stray punctuation trimmed at both ends ("C++" and "(Remote)" stay).
    """
    if title is None:
        raise CleaningError("missing title")
    t = str(title)
    if "&" in t:
        t = _html.unescape(_html.unescape(t))  # titles are often escaped twice
    if "<" in t:
        t = _TAG.sub(" ", t)
    t = fix_mojibake(t)
    t = _CONTROL.sub(" ", _ZERO_WIDTH.sub("", t))
    t = _MD_HEADING.sub("", _SPACE.sub(" ", t).strip()).lstrip(_LEAD_JUNK).rstrip(_TRAIL_JUNK)
    # "**Senior Engineer**" (Markdown) or a title wrapped in quotes.
    t = t.replace("**", "").strip()
    for a, b in (('"', '"'), ("“", "”"), ("'", "'")):
        if len(t) > 2 and t[0] == a and t[-1] == b and t.count(a) + t.count(b) == 2:
            t = t[1:-1].strip()
    # An unmatched trailing "(" or leading ")" left by cut titles.
    if t.endswith("(") or t.endswith("["):
        t = t[:-1].rstrip(_TRAIL_JUNK)
    if t.startswith(")") or t.startswith("]"):
        t = t[1:].lstrip(_LEAD_JUNK)
    if len(t) > _MAX_TITLE:
        cut = t.rfind(" ", 0, _MAX_TITLE)
        t = t[: cut if cut > _MAX_TITLE // 2 else _MAX_TITLE].rstrip(_TRAIL_JUNK)
    if not t:
        raise CleaningError("missing title")
    return t


EMPLOYMENT_TYPES = (
    "full_time",
    "part_time",
    "contract",
    "temporary",
    "internship",
    "volunteer",
    "per_diem",
    "other",
)

# Keys are lower-case with everything but letters and digits removed ("Full-Time" -> "fulltime").
_EMPLOYMENT: dict[str, str] = {
    **dict.fromkeys(
        [
            "fulltime",
            "full",
            "ft",
            "permanent",
            "regular",
            "permanentfulltime",
            "fulltimepermanent",
            "fulltimeemployee",
            "fte",
            "employee",
            "salaried",
            "vollzeit",
            "festanstellung",
            "cdi",
            "tiempocompleto",
            "jornadacompleta",
            "tempointegral",
            "tempsplein",
            "משרהמלאה",
        ],
        "full_time",
    ),
    **dict.fromkeys(
        [
            "parttime",
            "part",
            "pt",
            "parttimeemployee",
            "teilzeit",
            "tempspartiel",
            "mediajornada",
            "tiempoparcial",
            "משרהחלקית",
        ],
        "part_time",
    ),
    **dict.fromkeys(
        [
            "contract",
            "contractor",
            "contracttohire",
            "contracttoperm",
            "freelance",
            "freelancer",
            "consultant",
            "consulting",
            "c2c",
            "corptocorp",
            "1099",
            "w2contract",
            "selfemployed",
            "independentcontractor",
            "b2b",
            "gig",
        ],
        "contract",
    ),
    **dict.fromkeys(
        [
            "temporary",
            "temp",
            "seasonal",
            "fixedterm",
            "fixedtermcontract",
            "befristet",
            "cdd",
            "interim",
            "maternitycover",
            "locum",
        ],
        "temporary",
    ),
    **dict.fromkeys(
        [
            "intern",
            "internship",
            "trainee",
            "traineeship",
            "apprentice",
            "apprenticeship",
            "coop",
            "workingstudent",
            "werkstudent",
            "praktikum",
            "stage",
            "stagiaire",
            "graduateinternship",
            "studentjob",
            "student",
        ],
        "internship",
    ),
    **dict.fromkeys(["volunteer", "volunteering", "unpaid", "ehrenamt"], "volunteer"),
    **dict.fromkeys(["perdiem", "prn", "asneeded", "oncall"], "per_diem"),
    **dict.fromkeys(["other", "others", "misc"], "other"),
}
_KEY = re.compile(r"[\W_]+", re.UNICODE)
# Last resort for phrases ("Full Time Intern", "Temporary contract (6 months)"): the most
# specific kind wins, so an internship that is full time is an internship.
_FALLBACK = [
    (re.compile(r"intern|apprentic|trainee|praktik|werkstudent"), "internship"),
    (re.compile(r"perdiem|prn"), "per_diem"),
    (re.compile(r"volunt"), "volunteer"),
    (re.compile(r"temporar|seasonal|fixedterm|befristet"), "temporary"),
    (re.compile(r"contract|freelanc|consult"), "contract"),
    (re.compile(r"parttime|teilzeit"), "part_time"),
    (re.compile(r"fulltime|permanent|vollzeit"), "full_time"),
]
_SPLIT = re.compile(r"\s*(?:[,;/|&+]|\bor\b|\band\b)\s*", re.IGNORECASE)


def _lookup(part: str) -> str | None:
    key = _KEY.sub("", part.lower())
    if not key:
        return None
    hit = _EMPLOYMENT.get(key)
    if hit is None and key.endswith("s"):
        hit = _EMPLOYMENT.get(key[:-1])  # "Interns", "Contractors"
    return hit


def normalize_employment_type(value: str | Iterable[str] | None) -> str | None:
    """One of EMPLOYMENT_TYPES, or None when nothing is given.

    Lists (schema.org allows ``["FULL_TIME", "CONTRACTOR"]``) and strings such as
    "Full-time, Permanent" give their first recognised type; a non-empty value that matches
    nothing gives "other".
    """
    if value is None:
        return None
    parts: list[str]
    if isinstance(value, str):
        if not value.strip():
            return None
        whole = _lookup(value)
        if whole is not None:
            return whole
        parts = _SPLIT.split(value)
    else:
        parts = [p for item in value if isinstance(item, str) for p in _SPLIT.split(item)]
        if not any(p.strip() for p in parts):
            return None
    for part in parts:
        hit = _lookup(part)
        if hit is not None:
            return hit
    key = _KEY.sub("", " ".join(parts).lower())
    for pattern, kind in _FALLBACK:
        if pattern.search(key):
            return kind
    return "other"
