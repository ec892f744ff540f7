"""Build the homoglyph table that hirehound.text folds before every dedup fingerprint.

    .venv/bin/pip install -c constraints.txt '.[data]'     # confusable-homoglyphs
    .venv/bin/python scripts/build_confusables.py

Source: the Unicode confusables data (https://www.unicode.org/Public/security/latest/
confusables.txt, Unicode License v3) as packaged by the PyPI package `confusable-homoglyphs`
(MIT; its confusables.json maps each character to its prototype). Kept: single non-ASCII
characters whose prototype is ASCII letters or digits (at most 3, "ǉ" -> "lj") and that NFKD
leaves unchanged (full-width and mathematical forms are folded by NFKD already, before the
table is applied). Unicode's prototype for "I"-like letters is "l"; an upper-case source
(Cyrillic "І", Greek "Ι") imitates "I", so it maps to "i" (the table is applied before case
folding), a digit to "1".

Output: hirehound/text/data/confusables.tsv.gz, "<hex code point>\\t<ASCII>" per line.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "hirehound" / "text" / "data" / "confusables.tsv.gz"


def build() -> dict[str, str]:
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[str, str] = {}
    for src, entries in data.items():
        if len(src) != 1 or src.isascii() or unicodedata.normalize("NFKD", src) != src:
            continue
        if unicodedata.category(src).startswith(("M", "Z", "C")):
            continue
        targets = [
            e["c"] for e in entries if e["c"].isascii() and e["c"].isalnum() and len(e["c"]) <= 3
        ]
        if not targets:
            continue
        dst = targets[0]
        category = unicodedata.category(src)
        if dst == "l" and category == "Lu":
            dst = "i"
        elif dst in ("l", "I") and category == "Nd":
            dst = "1"
        elif dst == "O" and category == "Nd":
            dst = "0"
        table[src] = dst.lower() if category == "Ll" else dst
    return table


def main() -> None:
    table = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Unicode confusables (via confusable-homoglyphs, MIT; data Unicode License v3):",
        "# code point -> ASCII prototype. Built by scripts/build_confusables.py.",
        *(f"{ord(s):04X}\t{d}" for s, d in sorted(table.items())),
    ]
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"wrote {OUT} ({len(table)} characters, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
