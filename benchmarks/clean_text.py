"""Cost and completeness of cleaning + normalization over the real Ashby dev set.

Runs clean_description, normalize_title, normalize_employment_type, parse_date, parse_salary and
parse_location over every posting of ../shared/data/postings/ashby/ (4,429), prints ms per
posting (median / p95) per function, and checks that no description lost list items or
headings: every <li> gives a "- " / "1. " line and every heading its own line.

    .venv/bin/python benchmarks/clean_text.py
"""

from __future__ import annotations

import gc
import glob
import gzip
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from html import unescape as _unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hirehound.geo import parse_location  # noqa: E402
from hirehound.geo._data import gazetteer  # noqa: E402
from hirehound.text import (  # noqa: E402
    clean_description,
    normalize_employment_type,
    normalize_title,
    parse_date,
    parse_salary,
)

DATA = ROOT.parent / "shared" / "data" / "postings" / "ashby"
_LI = re.compile(r"<li\b", re.I)
_HEADING = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


def _timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[float], list[Any]]:
    times, out = [], []
    for x in items:
        t = time.perf_counter()
        out.append(fn(x))
        times.append((time.perf_counter() - t) * 1000)
    return times, out


def _fmt(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95)]
    return (
        f"{name:28s} median {statistics.median(times):7.4f} ms  p95 {p95:7.4f} ms  "
        f"mean {statistics.fmean(times):7.4f} ms"
    )


def main() -> None:
    files = sorted(glob.glob(str(DATA / "*.json.gz")))
    if not files:
        sys.exit(f"no data at {DATA}")
    jobs = []
    for f in files:
        with gzip.open(f) as fh:
            jobs.extend(json.load(fh)["jobs"])
    gazetteer()  # one-off load, not per posting
    gc.freeze()

    def clean(j: dict[str, Any]) -> Any:
        return clean_description(j["descriptionHtml"], j.get("descriptionPlain"))

    def salary(j: dict[str, Any]) -> Any:
        c = j.get("compensation") or {}
        return parse_salary(
            c.get("scrapeableCompensationSalarySummary") or c.get("compensationTierSummary")
        )

    rows = []
    t_clean, cleaned = _timed(clean, jobs)
    rows.append(_fmt("clean_description", t_clean))
    t_title, _ = _timed(lambda j: normalize_title(j["title"]), jobs)
    rows.append(_fmt("normalize_title", t_title))
    t_emp, _ = _timed(lambda j: normalize_employment_type(j["employmentType"]), jobs)
    rows.append(_fmt("normalize_employment_type", t_emp))
    t_date, dates = _timed(lambda j: parse_date(j["publishedAt"]), jobs)
    rows.append(_fmt("parse_date", t_date))
    t_sal, sal = _timed(salary, jobs)
    rows.append(_fmt("parse_salary", t_sal))
    from hirehound.geo._parse import _parse_cached

    _parse_cached.cache_clear()
    t_loc_cold, locs = _timed(lambda j: parse_location(j["location"], remote=j["isRemote"]), jobs)
    rows.append(_fmt("parse_location (cold cache)", t_loc_cold))
    t_loc, _ = _timed(lambda j: parse_location(j["location"], remote=j["isRemote"]), jobs)
    rows.append(_fmt("parse_location (warm)", t_loc))
    total = [sum(x) for x in zip(t_clean, t_title, t_emp, t_date, t_sal, t_loc_cold, strict=True)]
    rows.append(_fmt("all of the above", total))

    # Completeness: list items and headings of the HTML all appear in the text.
    lost_li = lost_h = 0
    worst: list[tuple[int, str]] = []
    for j, c in zip(jobs, cleaned, strict=True):
        html = j["descriptionHtml"] or ""
        n_li = len(_LI.findall(html))
        lines = c.text.splitlines()
        n_items = sum(1 for x in lines if re.match(r"\s*(?:- |\d+\. )", x))
        # an <li> with no text gives no line; count only items that hold text
        n_li_text = sum(
            1
            for m in re.finditer(r"<li\b[^>]*>(.*?)</li>", html, re.S | re.I)
            if _TAGS.sub("", m.group(1)).strip()
        )
        if n_items < min(n_li, n_li_text):
            lost_li += 1
            worst.append((n_li_text - n_items, j["id"]))
        line_set = {x.strip().removeprefix("- ") for x in lines}
        for h in _HEADING.findall(html):
            # a heading with <br> inside gives several lines; "* note" headings become "- note"
            parts = re.split(r"<br\s*/?>", h)
            texts = [" ".join(_unescape(_TAGS.sub("", p)).split()) for p in parts]
            if any(t and t.removeprefix("* ") not in line_set for t in texts):
                lost_h += 1
                break

    n = len(jobs)
    print(
        f"input: {n} Ashby postings from {len(files)} boards; "
        f"median HTML {statistics.median(len(j['descriptionHtml'] or '') for j in jobs):.0f} chars"
    )
    for r in rows:
        print(r)
    n_dates = sum(d is not None for d in dates)
    n_sal = sum(s is not None for s in sal)
    n_comp = sum(
        bool(
            (j.get("compensation") or {}).get("scrapeableCompensationSalarySummary")
            or (j.get("compensation") or {}).get("compensationTierSummary")
        )
        for j in jobs
    )
    n_country = sum(loc.country is not None for loc in locs)
    n_city = sum(loc.city is not None for loc in locs)
    print(
        f"dates parsed {n_dates}/{n}; salaries {n_sal}/{n_comp} postings with a pay summary; "
        f"locations with country {n_country}/{n}, with city {n_city}/{n}"
    )
    print(
        f"completeness: postings with fewer '- ' lines than non-empty <li>: {lost_li}; "
        f"postings with a heading not on its own line: {lost_h}; "
        f"truncated: {sum(c.truncated for c in cleaned)}"
    )
    if worst:
        print("  worst:", sorted(worst, reverse=True)[:5])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(
        f"clean_ms_median={statistics.median(t_clean):.3f} "
        f"all_ms_median={statistics.median(total):.3f} lost_li={lost_li} lost_headings={lost_h} "
        f"n={n} commit={commit}"
    )


if __name__ == "__main__":
    main()
