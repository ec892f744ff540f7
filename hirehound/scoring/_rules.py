"""Stage 1 of spam scoring: fast rules over the posting's text and fields.

Each rule has a weight, the probability-like evidence it alone carries; weights combine as a
noisy-OR (see ``_spam.py``). Rules look for what scams ask of applicants (pay a fee, cash a
check, answer on WhatsApp, send papers to a Gmail address), not for topics: a payments company
may write "wire transfer", a crypto company "bitcoin", so patterns need the scam's verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

# weights: strong (a scam's own request) 0.6-0.7, medium 0.3-0.5, weak signals 0.1-0.25
# Patterns run on the lowercased text, and only in a window around one of their trigger words,
# found in one Aho-Corasick pass: twelve IGNORECASE regexes over a 6.5k-char posting cost ~2 ms,
# and even 40 str.find calls cost ~0.2 ms.
_I = 0
_WINDOW = 120  # characters searched on each side of a trigger

_PATTERNS: list[tuple[str, float, tuple[str, ...], re.Pattern[str]]] = [
    ("wire_transfer", 0.7, ("western union", "moneygram", "money", "funds", "cash"), re.compile(
        r"\b(?:western\s+union|moneygram)\b|"
        # "send the money back to", not a product's "transfer money to friends"
        r"\b(?:send|wire|forward)\w*\s+(?:the\s+|some\s+|us\s+)?(?:remaining\s+)?"
        r"(?:money|funds|cash|balance)\s+(?:back\s+)?(?:to|via|through)\s+"
        r"(?:us|our|the\s+(?:company|office|supervisor|vendor|client)|your\s+(?:manager|"
        r"supervisor))\b", _I)),
    ("payment_request", 0.7, ("fee ", "fees", "fee.", "fee,", "starter"), re.compile(
        r"\b(?:registration|application|training|processing|enrol+ment|starter[- ]kit|upfront|"
        r"activation|background[- ]check)\s+(?:fee|cost|charge|deposit)s?\b.{0,60}?"
        r"\b(?:pay|paid|required|refundable|deposit|only)\b|"
        r"\b(?:pay|purchase|buy)\s+(?:a|an|the|your|for\s+(?:a|the|your))?\s*"
        r"(?:small\s+)?(?:fee|starter[- ]kit|training\s+(?:kit|materials|course)|registration)\b",
        _I)),
    ("check_cashing", 0.7, ("cash", "money order", "reship", "package forward"),
     re.compile(
        # not "deposit checks": bookkeepers and assistants really do that
        r"\bcash(?:ing)?\s+(?:a\s+|the\s+)?(?:checks?|cheques?)\b|"
        r"\bmoney\s+orders?\b|\breship(?:ping|per)?\b|\bpackage\s+forward", _I)),
    ("crypto_payment", 0.5, ("bitcoin", "btc", "crypto", "usdt", "gift", "itunes"), re.compile(
        r"\b(?:paid|pay|payment|salary|wages?)\s+(?:\w+\s+)?(?:in|via|with)\s+"
        r"(?:bitcoin|btc|crypto(?:currency)?|usdt|gift\s*cards?|itunes\s+cards?)\b|"
        r"\bbitcoin\s+atm\b", _I)),
    ("messenger_contact", 0.6, ("whats", "telegram", "wechat", "signal", "skype", "hangout",
                                "kik"), re.compile(
        r"\b(?:contact|text|message|reach|add|chat|interview|msg|dm|apply)\w*\b[^.\n]{0,40}?"
        r"\b(?:on|via|through|at|using|by)\s+(?:whats\s*app|telegram|wechat|signal|skype|"
        r"google\s+hangouts?|kik)\b|"
        r"\b(?:whats\s*app|telegram)\s*(?:number|no\.?|id|handle|us)?\s*[:@+(]?\s*\+?\d", _I)),
    ("personal_data", 0.4, ("social security", "ssn", "bank account", "credit card",
                            "copy of your", "photo of your"), re.compile(
        r"\b(?:send|provide|submit|forward)\w*\b[^.\n]{0,40}?\b(?:social\s+security\s+number|"
        r"ssn|bank\s+account\s+(?:details|number|information)|credit\s+card|"
        r"(?:copy|photo)\s+of\s+your\s+(?:id|passport|driver'?s\s+licen[cs]e))\b", _I)),
    ("easy_money", 0.4, ("from home", "own boss", "unlimited earning", "make money",
                         "get paid", "no interview"), re.compile(
        r"\b(?:earn|make)\s+(?:extra\s+|easy\s+|quick\s+)?(?:money|cash|income)\s+"
        r"(?:from|at)\s+home\b|\bbe\s+your\s+own\s+boss\b|\bunlimited\s+earning|"
        r"\bmake\s+money\s+fast\b|\bget\s+paid\s+(?:daily|today|instantly)\b|"
        r"\bno\s+interview\s+(?:required|needed)\b|\bwork\s+from\s+home\s+and\s+earn\b", _I)),
]
# matched right after an "@" (a leading [\w.]+@ scan backtracks from every word: ~0.2 ms)
_PERSONAL_EMAIL = re.compile(
    r"(?:gmail|yahoo|ymail|hotmail|outlook|live|aol|icloud|gmx|mail|yandex|"
    r"proton(?:mail)?|zoho|rocketmail|inbox)\.(?:com|net|ru|co\.uk|me|de|fr)\b")
_APPLY_WORDS = re.compile(r"\b(?:apply|send|email|e-mail|forward|submit|resume|cv|contact)\b")
_NO_EXPERIENCE = re.compile(
    r"\bno\s+(?:prior\s+|previous\s+)?experience\s+(?:is\s+)?(?:necessary|required|needed)\b|"
    r"\bno\s+skills?\s+(?:required|needed)\b")
_BIG_PAY_TEXT = re.compile(
    r"(?:\$|usd\s?|£|€)\s?(\d[\d,]*)\+?\s*(?:per|a|/|each)\s*(day|week|hour|hr|month)\b")
# Pay that is "very high" for a no-experience job, per period.
_HIGH_PAY = {"hour": 50.0, "hr": 50.0, "day": 400.0, "week": 2000.0, "month": 9000.0,
             "year": 150000.0}
_PERIODS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month",
            "yearly": "year", "annual": "year", "annually": "year", "annum": "year"}


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired and the evidence weight it carries."""

    name: str
    weight: float


def _high_pay(text: str, salary_max: float | None, salary_min: float | None,
              period: str | None) -> bool:
    amount = salary_max or salary_min
    if amount and period:
        p = period.strip().lower()
        limit = _HIGH_PAY.get(_PERIODS.get(p, p))
        if limit is not None and amount >= limit:
            return True
    for m in _BIG_PAY_TEXT.finditer(text):
        value = float(m.group(1).replace(",", "") or 0)
        if value >= _HIGH_PAY[m.group(2)]:
            return True
    return False


_UPPER = bytes(range(65, 91))
_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _count(data: bytes, chars: bytes) -> int:
    """How many bytes of ``data`` are in ``chars`` (bytes.translate runs in C)."""
    return len(data) - len(data.translate(None, chars))


def _shouting(title: str, text: str) -> float:
    """Weight for ALL CAPS and exclamation marks (0 when normal)."""
    weight = 0.0
    data = text.encode("ascii", "ignore")
    letters = _count(data, _LETTERS)
    if letters >= 200 and _count(data, _UPPER) / letters > 0.3:
        weight = 0.25
    tdata = title.encode("ascii", "ignore")
    tletters = _count(tdata, _LETTERS)
    if tletters >= 12 and _count(tdata, _UPPER) == tletters:
        weight = max(weight, 0.15)
    bangs = text.count("!") + 2 * title.count("!")
    if "!!!" in text or "!!" in title or bangs >= 8:
        weight = max(weight, 0.25)
    return weight


def _build_triggers() -> ahocorasick.Automaton:
    by_word: dict[str, list[int]] = {}
    for i, (_name, _weight, triggers, _pattern) in enumerate(_PATTERNS):
        for t in triggers:
            by_word.setdefault(t, []).append(i)
    for t in _NO_EXPERIENCE_TRIGGERS:
        by_word.setdefault(t, []).append(_NO_EXPERIENCE_ID)
    automaton = ahocorasick.Automaton()
    for word, ids in by_word.items():
        automaton.add_word(word, (len(word), tuple(ids)))
    automaton.make_automaton()
    return automaton


_NO_EXPERIENCE_ID = -1
_NO_EXPERIENCE_TRIGGERS = ("no experience", "no prior", "no previous", "no skill")
_TRIGGERS = _build_triggers()
_MAX_TRIES = 8  # windows tried per pattern; a scam repeats itself early


def _fired(text: str) -> set[int]:
    """Indexes of _PATTERNS (and _NO_EXPERIENCE_ID) whose pattern matches near a trigger."""
    fired: set[int] = set()
    tries: dict[int, int] = {}
    for last, (length, ids) in _TRIGGERS.iter(text):
        start = last + 1 - length
        lo, hi = max(0, start - _WINDOW), last + 1 + _WINDOW
        for i in ids:
            if i in fired or tries.get(i, 0) >= _MAX_TRIES:
                continue
            tries[i] = tries.get(i, 0) + 1
            pattern = _NO_EXPERIENCE if i == _NO_EXPERIENCE_ID else _PATTERNS[i][3]
            if pattern.search(text, lo, hi):
                fired.add(i)
    return fired


def evaluate(
    *,
    title: str,
    text: str,
    company: str | None,
    salary_min: float | None,
    salary_max: float | None,
    salary_period: str | None,
    has_company_logo: bool | None,
    lowered: str | None = None,
) -> list[RuleHit]:
    """All rules that fire for one posting (``lowered``: title + newline + text, lowercased)."""
    hits: list[RuleHit] = []
    full = lowered if lowered is not None else f"{title}\n{text}".lower()
    fired = _fired(full)
    for i, (name, weight, _triggers, _pattern) in enumerate(_PATTERNS):
        if i in fired:
            hits.append(RuleHit(name, weight))
    at = full.find("@")
    while at != -1:
        if _PERSONAL_EMAIL.match(full, at + 1) and _APPLY_WORDS.search(
            full, max(0, at - 120), at
        ):
            hits.append(RuleHit("personal_email", 0.55))
            break
        at = full.find("@", at + 1)
    if _NO_EXPERIENCE_ID in fired and _high_pay(full, salary_max, salary_min, salary_period):
        hits.append(RuleHit("no_experience_high_pay", 0.6))
    shout = _shouting(title, text)
    if shout:
        hits.append(RuleHit("shouting", shout))
    if not (company or "").strip():
        hits.append(RuleHit("missing_company", 0.2))
    if has_company_logo is False:
        hits.append(RuleHit("no_company_logo", 0.1))
    if len(text.strip()) < 200:
        hits.append(RuleHit("short_description", 0.1))
    return hits

