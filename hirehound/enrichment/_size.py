"""Size buckets (Glassdoor's ranges) from reported employee counts, else estimated."""

from __future__ import annotations

import re
from collections.abc import Iterable

BUCKETS = ("1-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10000+")
_UPPER = (50, 200, 500, 1000, 5000, 10000)


def bucket_of(count: int | None) -> str | None:
    """The bucket of an employee count ("10000+" above ten thousand)."""
    if count is None or count <= 0:
        return None
    for upper, name in zip(_UPPER, BUCKETS, strict=False):
        if count <= upper:
            return name
    return BUCKETS[-1]


_GLASSDOOR = re.compile(r"(\d[\d,]*)\s*(?:to\s*(\d[\d,]*)|\+)")


def bucket_of_label(label: str) -> str | None:
    """Glassdoor's "51 to 200 employees" / "10000+ employees" as a bucket (None: unknown)."""
    m = _GLASSDOOR.search(label or "")
    if not m:
        return None
    low = int(m.group(1).replace(",", ""))
    return bucket_of(low + 1 if m.group(2) is None else int(m.group(2).replace(",", "")))


# "over 12,000 employees", "a team of 250 people", "150+ team members"
_STATED = re.compile(
    r"(?:over|more than|nearly|almost|approximately|about|around|of|with)?\s*"
    r"(\d{1,3}(?:,\d{3})+|\d+)(\s*k)?\s*\+?\s*"
    r"(?:full[- ]time\s+)?(?:employees|team members|people|colleagues|associates|staff|"
    r"professionals|teammates)\b",
    re.I,
)
_BIG = re.compile(
    r"fortune\s*(?:500|100|50)\b|global leader|worldwide|around the world|countries", re.I
)
_SMALL = re.compile(r"\bstart-?up\b|seed[- ]stage|series a\b|early[- ]stage|founding team", re.I)


def stated_employee_count(texts: Iterable[str]) -> int | None:
    """The largest plausible employee count a text states about its company."""
    best = None
    for text in texts:
        for m in _STATED.finditer(text or ""):
            n = int(m.group(1).replace(",", "")) * (1000 if m.group(2) else 1)
            if 5 <= n <= 3_000_000 and (best is None or n > best):
                best = n
    return best


def estimate_bucket(
    *,
    texts: Iterable[str] = (),
    public: bool = False,
    yc: bool = False,
    posting_count: int = 0,
) -> tuple[str, str]:
    """(bucket, reason) when no source reported a count: stated counts, listing, signals."""
    texts = list(texts)
    stated = stated_employee_count(texts)
    if stated:
        return bucket_of(stated) or BUCKETS[0], "stated in text"
    joined = " ".join(t[:5000] for t in texts)
    big = len(_BIG.findall(joined))
    small = len(_SMALL.findall(joined))
    if public:
        return ("10000+" if big >= 2 else "1001-5000"), "listed on an exchange"
    if yc or small > big:
        return "51-200", "startup signals"
    if posting_count >= 50:
        return "1001-5000", "many open postings"
    if big >= 2:
        return "1001-5000", "global-scale wording"
    return "51-200", "default (no signal)"
