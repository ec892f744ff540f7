"""A hostile corpus, generated: records built to break a parser, a database or a reader.

`build(folder, n)` writes JSONL (gzip) files of `n` records of the generic import schema,
cycling through the classes below, plus gzip bombs, and returns what was written: each
record's class and, when the record carries one the pipeline can recover, its key (every
source id starts with `h<i>`), so a test can account for every record.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLASSES = ("nul", "deep", "giant", "broken_html", "script", "encoding", "sql", "bad_url",
           "wrong_types", "junk")
SQL = "x'); DROP TABLE postings; --"
WORDS = ("quartz", "nebula", "falcon", "ember", "cobalt", "lattice", "meadow", "prism",
         "harbor", "glacier", "sable", "thistle", "vortex", "willow", "zephyr", "orbit")
SCRIPTS = (
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<svg onload=alert(3)>",
    "<a href=\"javascript:alert(4)\" onclick=\"steal()\">apply</a>",
    "<scr<script>ipt>alert(5)</script>", "<iframe src=\"javascript:alert(6)\"></iframe>",
    "<body onload=alert(7)>", "<div style=\"x\" onmouseover='alert(8)'>hover</div>",
)
BROKEN = ("<div><p>Unclosed <b>bold <ul><li>one<li>two</div></td>", "<<<>>><p<p>>",
          "</p></p></div><table><tr><td>", "<p>" * 500, "<!-- unterminated comment <p>",
          "<![CDATA[ x ]]><p>text</p", "&lt;p&gt;&amp;amp;&#x0;&#xD800;&#99999999;")
BAD_URLS = ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
            "file:///etc/passwd")


@dataclass
class Corpus:
    files: list[Path] = field(default_factory=list)
    # (class, key or None) per record, in file order.
    records: list[tuple[str, str | None]] = field(default_factory=list)
    bombs: list[Path] = field(default_factory=list)

    def by_class(self) -> Counter[str]:
        return Counter(c for c, _ in self.records) + Counter(gzip_bomb=len(self.bombs))


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _base(rng: random.Random, i: int) -> dict[str, Any]:
    # Text from its own vocabulary: nothing here resembles a real posting (no cluster, no
    # spam verdict shared with one).
    return {
        "source": "hostile", "source_id": f"h{i}", "url": f"https://hostile.example/{i}",
        "title": f"{_text(rng, 3).title()} Operator {i}",
        "company": f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} Hostile",
        "location": "Nowhere", "description_html": f"<p>{_text(rng, 60)}</p>",
    }


def _line(rec: Any) -> bytes:
    return json.dumps(rec).encode()


def _record(rng: random.Random, i: int, kind: str) -> tuple[bytes, str | None]:
    key = f"h{i}"
    rec = _base(rng, i)
    if kind == "nul":
        if i % 100 == 0:
            rec["bad\x00key"] = "x"  # a NUL in a key: refused, not rewritten
        else:
            rec["title"] = "Night\x00 Operator\x00 " + str(i)
            rec["company"] += "\x00"
            rec["description_html"] = "<p>\x00" + _text(rng, 40) + "\x00</p>"
            rec["extra"] = ["\x00", "a\x00b", {"k": "v\x00"}]
        return _line(rec), key
    if kind == "deep":
        if (i // 10) % 2:
            depth = 5000  # past what the JSON parser recurses: no key to recover
            return b"[" * depth + b"]" * depth, None
        meta: Any = "bottom"
        for _ in range(200):
            meta = {"d": meta}
        rec["meta"] = meta
        return _line(rec), key
    if kind == "giant":
        which = (i // 10) % 6
        if which == 0:
            rec["source_id"] = key + "-" + "x" * 3000
        elif which == 1:
            rec["url"] = "https://hostile.example/" + "a" * 10_000
        elif which == 2:
            rec["company"] = "Giant " * 4000
        elif which == 3:
            rec["title"] = "Giant title " * 3000
        elif which == 4:
            rec["location"] = "Far away, " * 3000
        else:
            rec["source"] = "s" * 300
        return _line(rec), key
    if kind == "broken_html":
        rec["description_html"] = rng.choice(BROKEN) + f"<p>{_text(rng, 40)}"
        return _line(rec), key
    if kind == "script":
        bad = rng.choice(SCRIPTS)
        rec["title"] = bad + rec["title"]
        rec["company"] = bad + rec["company"]
        rec["location"] = bad
        if (i // 10) % 2:
            rec["description_html"] = f"<p>{_text(rng, 40)}</p>" + bad
        else:
            del rec["description_html"]
            rec["description"] = _text(rng, 40) + " " + bad  # plain text with live markup
        return _line(rec), key
    if kind == "encoding":
        which = (i // 10) % 3
        if which == 0:  # lone surrogates, as JSON escapes
            line = _line(rec).replace(b"Operator", b"Operator \\ud800\\udfff\\udc00")
        elif which == 1:  # raw bytes that are not UTF-8 (latin-1, an overlong '/')
            line = _line(rec).replace(b"Operator", b"Op\xe9rat\xf6r \xc0\xaf \xff\xfe")
        else:  # mojibake
            line = _line(rec).replace(b"Operator", "OpÃ©rateur â€”".encode())
        return line, key
    if kind == "sql":
        rec = {k: (f"h{i}-{SQL}" if k == "source_id" else f"{v} {SQL}" if isinstance(v, str)
                   else v) for k, v in rec.items()}
        rec["url"] = f"https://hostile.example/{i}?q={SQL}"
        return _line(rec), key
    if kind == "bad_url":
        rec["url"] = rng.choice(BAD_URLS)
        return _line(rec), key
    if kind == "wrong_types":
        which = (i // 10) % 5
        if which == 0:
            rec["title"] = ["not", "a", "title"]
        elif which == 1:
            nan = f'{{"source": "hostile", "source_id": "{key}", "title": NaN, "remote": Infinity}}'
            return nan.encode(), key
        elif which == 2:
            return b'{"source": "hostile", "source_id": ' + b"9" * 5000 + b"}", None
        elif which == 3:
            rec["source_id"] = {"$ne": None}
            return _line(rec), None
        else:
            rec["remote"] = "maybe"
            rec["date_posted"] = "the year 99999"
            rec["salary"] = "9" * 400 + " per nanosecond"
        return _line(rec), key
    # junk
    # Nothing to recover a key from (a truncated record is not JSON either).
    which = (i // 10) % 4
    return ([b"{this is not json", b"\x00\x01\x02\xff" * 20, b"[1, 2, 3]",
             b'{"source": "hostile", "source_id": "' + key.encode() + b'", "title": "trunc'][
        which], None)


def build(folder: Path, n: int, *, per_file: int = 2000, seed: int = 7) -> Corpus:
    """Write `n` hostile records (and the bombs) under `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus()
    for start in range(0, n, per_file):
        path = folder / f"hostile-{start // per_file:03d}.jsonl.gz"
        with gzip.open(path, "wb") as fh:
            for i in range(start, min(n, start + per_file)):
                kind = CLASSES[i % len(CLASSES)]
                line, key = _record(rng, i, kind)
                fh.write(line + b"\n")
                corpus.records.append((kind, key))
        corpus.files.append(path)
    corpus.bombs = write_bombs(folder)
    return corpus


def write_bombs(folder: Path) -> list[Path]:
    """A JSONL file that inflates to one 64 MB line of zeros, and a JSON document that
    inflates past the 50 MB cap on documents (each well under 1 MB on disk)."""
    line_bomb = folder / "zz-bomb-line.jsonl.gz"
    with gzip.open(line_bomb, "wb", compresslevel=9) as fh:
        fh.write(b'{"source": "hostile", "source_id": "bomb"}\n')
        zeros = b"0" * (1 << 20)
        for _ in range(64):
            fh.write(zeros)
        fh.write(b"\n")
    doc_bomb = folder / "zz-bomb-doc.json.gz"
    with gzip.open(doc_bomb, "wb", compresslevel=9) as fh:
        fh.write(b'[{"source": "hostile", "source_id": "bomb-doc", "title": "t", '
                 b'"description": "')
        for _ in range(60):
            fh.write(b"A" * (1 << 20))
        fh.write(b'"}]')
    return [line_bomb, doc_bomb]
