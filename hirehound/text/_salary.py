"""Read a salary range out of free text ("$150K – $200K • Offers Equity", "€60,000 - €75,000 per
year", "USD 100000-120000 YEAR", "$25/hr", "120k-150k GBP", "£45k")."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Salary", "parse_salary"]


@dataclass(frozen=True, slots=True)
class Salary:
    """A pay range; ``period`` is "hour", "day", "week", "month" or "year" (None if unknown)."""

    min: float | None
    max: float | None
    currency: str | None  # ISO 4217
    period: str | None


# Prefix symbols, longest first so "CA$" wins over "$". A bare "$" is taken as USD, the most
# common by far in the sources here; "kr" and "¥" are ambiguous and read as SEK and JPY.
_SYMBOLS = {
    "US$": "USD",
    "USD$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "CAD$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "AUD$": "AUD",
    "NZ$": "NZD",
    "S$": "SGD",
    "SG$": "SGD",
    "HK$": "HKD",
    "MX$": "MXN",
    "R$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₪": "ILS",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₱": "PHP",
    "₦": "NGN",
    "zł": "PLN",
    "Rs.": "INR",
    "Rs": "INR",
    "kr": "SEK",
}
_CODES = {
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "NZD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "ISK",
    "PLN",
    "CZK",
    "HUF",
    "RON",
    "BGN",
    "INR",
    "ILS",
    "JPY",
    "CNY",
    "RMB",
    "SGD",
    "HKD",
    "TWD",
    "KRW",
    "BRL",
    "MXN",
    "ARS",
    "CLP",
    "COP",
    "PEN",
    "ZAR",
    "AED",
    "SAR",
    "QAR",
    "TRY",
    "PHP",
    "IDR",
    "MYR",
    "THB",
    "VND",
    "NGN",
    "KES",
    "EGP",
    "UAH",
    "RUB",
    "PKR",
    "BDT",
    "LKR",
    "NIS",
}
_CODE_ALIASES = {"NIS": "ILS", "RMB": "CNY"}
_SYM_RE = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_CODE_RE = "|".join(sorted(_CODES))
_CUR = rf"(?<![A-Za-z])(?:(?:{_CODE_RE})(?![A-Za-z])|{_SYM_RE})"
# 100,000 / 100.000 / 100 000 / 100'000 / 106.2 / 18.00 / 150
_NUM = r"\d{1,3}(?:[,.'\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d+)?"
_MULT = r"(?:k|K|m|M|mil|mn|million|thousand)(?![A-Za-z])"
_AMOUNT = (
    rf"(?P<@cur1>{_CUR})?\s?(?P<@num>{_NUM})\s?(?P<@mult>{_MULT})?"
    rf"(?!\s?%)(?:\s?(?P<@cur2>{_CUR}))?"
)
_RANGE = re.compile(
    "(?:(?P<upto>up to|max(?:imum)?\\.?)\\s+|(?P<from>from|starting at|min(?:imum)?\\.?)\\s+)?"
    + _AMOUNT.replace("@", "a")
    + r"(?:\s*(?:-|–|—|~|to|and|bis|à|a)\s*"
    + _AMOUNT.replace("@", "b")
    + ")?",
    re.IGNORECASE,
)
# Bare plural words ("4 weeks PTO", "5+ years") are not periods; singular ones are ("YEAR").
_PERIODS = [
    (
        re.compile(r"(?:\bper|\ban?|/|\beach)\s*(?:hour|hr|h)\b|\b(?:hourly|hour)\b|\bstd\b", re.I),
        "hour",
    ),
    (re.compile(r"(?:\bper|\ba|/)\s*(?:day|d)\b|\b(?:daily|day|per diem)\b", re.I), "day"),
    (re.compile(r"(?:\bper|\ba|/)\s*(?:week|wk)\b|\b(?:weekly|week)\b", re.I), "week"),
    (
        re.compile(r"(?:\bper|\ba|/)\s*(?:month|mo|mth)\b|\b(?:monthly|month)\b|\bmonat", re.I),
        "month",
    ),
    (
        re.compile(
            r"(?:\bper|\ba|/)\s*(?:year|yr|annum|y)\b|\b(?:yearly|annual(?:ly)?|year|p\.?\s?a\.?)(?!\w)"
            r"|\bjahr|\bbrutto",
            re.I,
        ),
        "year",
    ),
]
_MULTS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mil": 1e6, "mn": 1e6, "million": 1e6}


def _number(num: str, mult: str | None) -> float | None:
    n = num.replace("\u00a0", "").replace("\u202f", "").replace("'", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", n) and not mult:
        n = n.replace(",", "").replace(".", "")  # thousands separators only
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", n):
        n = n.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", n):
        n = n.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", n):  # "1,500k": thousands then multiplier
        n = n.replace(",", "").replace(".", "")
    else:
        n = n.replace(",", ".")
    try:
        value = float(n)
    except ValueError:
        return None
    if mult:
        value *= _MULTS[mult.lower()]
    return value


def _currency(tok: str | None) -> str | None:
    if not tok:
        return None
    up = tok.upper()
    if up in _CODES:
        return _CODE_ALIASES.get(up, up)
    for sym, code in _SYMBOLS.items():
        if sym.upper() == up:
            return code
    return None


def parse_salary(text: str | None) -> Salary | None:
    """The first pay range in ``text``, or None when it holds no salary.

    An amount counts as pay only with a currency, a K/M multiplier or a pay period next to it,
    so "5+ years" or "401(k)" are not salaries. Without a stated period, amounts under 300 are
    read as hourly and amounts of 10,000 or more as yearly; the rest stay None.
    """
    if not text or not any(ch.isdigit() for ch in text):
        return None
    s = text.replace("\u2009", " ")
    for m in _RANGE.finditer(s):
        g = m.groupdict()
        cur = (
            _currency(g["acur1"])
            or _currency(g["acur2"])
            or _currency(g["bcur1"])
            or _currency(g["bcur2"])
        )
        tail = s[m.end() : m.end() + 40]
        period = _period(tail) or _period(s[max(0, m.start() - 25) : m.start()])
        # "120k-150k" is pay; a lone "10m" or "401k" is not.
        k_range = bool(g["bnum"] and g["bmult"] and g["bmult"].lower() == "k")
        if not (cur or period or k_range):
            continue
        lo = _number(g["anum"], g["amult"])
        hi = _number(g["bnum"], g["bmult"]) if g["bnum"] else None
        if lo is None:
            continue
        # "$120 - 150K": the multiplier written once applies to both ends.
        if (
            hi is not None
            and g["bmult"]
            and not g["amult"]
            and lo < hi / _MULTS[g["bmult"].lower()]
        ):
            lo *= _MULTS[g["bmult"].lower()]
        if hi is None:
            if g["upto"]:
                lo, hi = None, lo
            elif g["from"]:
                hi = None
            else:
                hi = lo
        elif lo > hi:
            lo, hi = hi, lo
        top = hi if hi is not None else lo
        if top is None or top <= 0:
            continue
        if period is None:
            period = "hour" if top < 300 else "year" if top >= 10_000 else None
        if cur is None and period is None:
            continue
        return Salary(min=lo, max=hi, currency=cur, period=period)
    return None


def _period(fragment: str) -> str | None:
    if not fragment:
        return None
    # Only up to the next separator: "$150K • Offers Equity • 4 weeks PTO" is not weekly pay.
    fragment = re.split(r"[•|;\n]|\. ", fragment, maxsplit=1)[0]
    for pattern, name in _PERIODS:
        if pattern.search(fragment):
            return name
    return None
