"""One Unicode folding for matching: what two encoders can disagree on, made equal.

`fold_for_match` is applied before every dedup fingerprint (text, title, company, place), so a
copy that went through another encoder compares equal to its original:

- mojibake repaired (ftfy: UTF-8 read as cp1252/latin-1, possibly twice);
- compatibility forms (NFKC/NFKD: full-width letters, ligatures, non-breaking spaces);
- zero-width and other invisible format characters removed (ZWSP, ZWJ/ZWNJ, word joiner,
  BOM, soft hyphen, bidi marks);
- accents folded (decomposed or precomposed, "é" = "é" = "e");
- homoglyphs folded to the Latin letter or digit they imitate (Cyrillic "а", Greek "ο"),
  from the Unicode confusables table (`data/confusables.tsv.gz`, built by
  scripts/build_confusables.py);
- curly quotes, primes and dashes folded to ASCII ' " -;
- case folded.

The result is for comparison only, never for display: folding Cyrillic text to Latin look-alikes
or dropping accents loses meaning, but loses it identically on both sides of a comparison.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import ftfy

__all__ = ["fold_for_match"]

_DATA = Path(__file__).parent / "data" / "confusables.tsv.gz"

# Quotes, primes and dashes that copies spell differently (the confusables table maps some of
# them to rarer prototypes, e.g. "‐" to "‐"; these win).
_PUNCT = {
    **dict.fromkeys("‘’‚‛′‵ʹʼʻ´＇", "'"),
    **dict.fromkeys("“”„‟″‶〝〞«»＂", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-"),
    "…": "...",
}
# Invisible characters a copy may gain (zero-width space, joiners, word joiner, BOM, soft
# hyphen, bidi marks, invisible operators, Mongolian vowel separator).
_INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f" \
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069" \
    "\u3164\ufeff\uffa0"
# Mojibake leaves these behind: Ã/Â/â followed by a cp1252 or latin-1 continuation character.
_MOJIBAKE_HINT = re.compile("[ÃÂâÅÐÑ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def _load_confusables() -> dict[int, str]:
    table: dict[int, str] = {}
    with gzip.open(_DATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            src, dst = line.rstrip("\n").split("\t")
            table[int(src, 16)] = dst
    return table


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """What to replace: invisible -> removed, combining marks -> removed (after NFKD),
    homoglyphs -> Latin, quotes/dashes -> ASCII."""
    table: dict[int, str | None] = dict(_load_confusables())
    for cp in range(0x300, 0x370):  # combining diacritical marks
        table[cp] = None
    for block in ((0x1AB0, 0x1B00), (0x1DC0, 0x1E00), (0x20D0, 0x2100), (0xFE20, 0xFE30)):
        for cp in range(*block):
            table[cp] = None
    for c in _INVISIBLE:
        table[ord(c)] = None
    for c, r in _PUNCT.items():
        table[ord(c)] = r
    # Non-breaking and other spaces: one ordinary space.
    for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
             "\u202f\u205f\u3000":
        table[ord(c)] = " "
    return {chr(k): v or "" for k, v in table.items()}


# Runs of non-ASCII characters: the only ones a replacement can apply to. Visiting them with
# a regex is ~10x cheaper than str.translate over the whole text (a posting is mostly ASCII).
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _replace(m: re.Match[str]) -> str:
    table = _table()
    return "".join(table.get(c, c) for c in m.group())


@lru_cache(maxsize=65536)
def _fold_short(s: str) -> str:
    return _fold(s)


def _fold(s: str) -> str:
    if _MOJIBAKE_HINT.search(s):
        s = ftfy.fix_text(s, normalization="NFC", uncurl_quotes=False, fix_line_breaks=False)
    s = _NON_ASCII.sub(_replace, unicodedata.normalize("NFKD", s))
    return s.casefold()


def fold_for_match(s: str | None) -> str:
    """The comparison form of a text (see the module docstring); "" for None."""
    if not s:
        return ""
    if s.isascii():
        return s.casefold()
    return _fold_short(s) if len(s) <= 200 else _fold(s)
