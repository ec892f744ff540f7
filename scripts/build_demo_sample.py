"""Build the bundled demo sample (hirehound/demo_data/) from the shared real data.

    .venv/bin/python scripts/build_demo_sample.py [--data ../shared/data]

Deterministic: the same input gives byte-identical output (gzip mtime 0, sorted choices).
What it writes, and why each part is there (see hirehound/demo_data/README.md):
- ashby/<board>.json.gz: three real Ashby board responses, whole (41 postings);
- generic/jobboards.jsonl.gz: the dedup dev set's derived copies of those boards' postings
  (cross-board reposts, Markdown scrapes, truncated aggregator copies, same-board reposts);
- jobspy/jobspy_israel.json: 25 real JobSpy records, including every real cross-site
  duplicate group found in the JobSpy data (same company and title on two sites);
- jsonld/freshpaint-careers.html: a careers page generated from one real Ashby posting,
  carrying it as schema.org JobPosting JSON-LD (same job, same URL: a cross-source duplicate);
- expected_duplicates.json: which demo records are duplicates of which (for checks).
"""

from __future__ import annotations

import argparse
import gzip
import html
import io
import json
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "hirehound" / "demo_data"
BOARDS = ("cape", "freshpaint", "li.fi")  # small boards with many dev-set copies
JSONLD_BOARD = "freshpaint"
JOBSPY_EXTRA = 15
SEED = 20251128


def write_gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def norm(s: str | None) -> str:
    return re.sub(r"\W+", " ", (s or "").lower()).strip()


def build_ashby(data: Path) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = {}
    for board in BOARDS:
        raw = (data / "postings" / "ashby" / f"{board}.json.gz").read_bytes()
        doc = json.loads(gzip.decompress(raw))
        for job in doc["jobs"]:
            jobs[job["id"]] = {**job, "_board": board}
        # The response as fetched, unchanged (key order kept).
        write_gz(OUT / "ashby" / f"{board}.json.gz", json.dumps(doc, ensure_ascii=False))
    return jobs


def build_generic(data: Path, ashby_jobs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    dedup = data / "dedup"
    with gzip.open(dedup / "types.jsonl.gz", "rt", encoding="utf-8") as fh:
        types = [json.loads(line) for line in fh]
    copies = {
        (t["source"], t["source_id"]): t
        for t in types
        if t["board"] in BOARDS and t["type"] not in ("original", "real_twin")
    }
    with gzip.open(dedup / "postings.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [
            r for line in fh if ((r := json.loads(line))["source"], r["source_id"]) in copies
        ]
    records.sort(key=lambda r: (r["source"], r["source_id"]))
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    write_gz(OUT / "generic" / "jobboards.jsonl.gz", body)
    expected = []
    for rec in records:
        t = copies[(rec["source"], rec["source_id"])]
        of = t["of"]
        if of and of[1] in ashby_jobs:
            expected.append(
                {
                    "copy": [rec["source"], rec["source_id"]],
                    "of": of,
                    "type": t["type"],
                    "title": rec["title"],
                }
            )
    return expected


def build_jobspy(data: Path) -> list[dict[str, Any]]:
    folder = data / "postings" / "jobspy_israel"
    seen: set[tuple[str, str]] = set()
    records = []
    for path in sorted(folder.glob("*.json")):
        for rec in json.loads(path.read_text(encoding="utf-8")):
            key = (rec.get("site"), rec.get("id"))
            if key not in seen:  # linkedin_jobs.json repeats the redhat records
                seen.add(key)
                records.append(rec)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        company = norm(rec.get("company")).split(" ")[0]
        groups[(company, norm(rec.get("title")))].append(rec)
    dup_groups = [g for g in groups.values() if len({r["site"] for r in g}) > 1]
    chosen = [r for g in dup_groups for r in g]
    picked = {id(r) for r in chosen}
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        desc = rec.get("description") or ""
        if id(rec) not in picked and 500 <= len(desc) <= 5000 and rec.get("title"):
            by_site[rec["site"]].append(rec)
    rng = random.Random(SEED)
    sites = sorted(by_site)
    extra: list[dict[str, Any]] = []
    while len(extra) < JOBSPY_EXTRA and any(by_site.values()):
        for site in sites:
            if by_site[site] and len(extra) < JOBSPY_EXTRA:
                extra.append(by_site[site].pop(rng.randrange(len(by_site[site]))))
    out = chosen + extra
    path = OUT / "jobspy" / "jobspy_israel.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [
        {
            "sites": [[r["site"], r["id"]] for r in g],
            "company": g[0]["company"],
            "title": g[0]["title"],
        }
        for g in dup_groups
    ]


def _salary_component(job: dict[str, Any]) -> dict[str, Any] | None:
    for tier in (job.get("compensation") or {}).get("compensationTiers") or []:
        for comp in tier.get("components") or []:
            if comp.get("compensationType") == "Salary" and comp.get("minValue"):
                return comp
    return None


def build_jsonld(ashby_jobs: dict[str, dict[str, Any]], copied: set[str]) -> dict[str, Any]:
    candidates = [
        j
        for j in ashby_jobs.values()
        if j["_board"] == JSONLD_BOARD and j["id"] not in copied and _salary_component(j)
    ]
    job = sorted(candidates, key=lambda j: j["title"])[0]
    comp = _salary_component(job)
    assert comp is not None
    unit = {"1 YEAR": "YEAR", "1 MONTH": "MONTH", "1 HOUR": "HOUR"}.get(comp["interval"], "YEAR")
    addr = (job.get("address") or {}).get("postalAddress") or {}
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job["title"],
        "description": job["descriptionHtml"],
        "identifier": {"@type": "PropertyValue", "name": "Freshpaint", "value": job["id"]},
        "datePosted": job["publishedAt"][:10],
        "employmentType": "FULL_TIME" if job.get("employmentType") == "FullTime" else "OTHER",
        "hiringOrganization": {
            "@type": "Organization",
            "name": "Freshpaint",
            "sameAs": "https://www.freshpaint.io",
        },
        "url": job["jobUrl"],
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": comp["currencyCode"],
            "value": {
                "@type": "QuantitativeValue",
                "minValue": comp["minValue"],
                "maxValue": comp["maxValue"],
                "unitText": unit,
            },
        },
    }
    if job.get("isRemote"):
        posting["jobLocationType"] = "TELECOMMUTE"
        posting["applicantLocationRequirements"] = {
            "@type": "Country",
            "name": addr.get("addressCountry") or "USA",
        }
    else:
        posting["jobLocation"] = {"@type": "Place", "address": {"@type": "PostalAddress", **addr}}
    ld = json.dumps(posting, ensure_ascii=False, indent=1).replace("</", "<\\/")
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(job["title"])} | Freshpaint careers</title>
<script type="application/ld+json">
{ld}
</script>
</head>
<body>
<header><a href="/careers">All open roles</a></header>
<main>
<h1>{html.escape(job["title"])}</h1>
<p class="meta">{html.escape(job.get("location") or "")}</p>
<article>{job["descriptionHtml"]}</article>
<p><a href="{html.escape(job["applyUrl"])}">Apply for this job</a></p>
</main>
</body>
</html>
"""
    path = OUT / "jsonld" / "freshpaint-careers.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return {"copy": ["jsonld", job["id"]], "of": ["ashby", job["id"]], "type": "careers_page"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    ashby_jobs = build_ashby(args.data)
    generic = build_generic(args.data, ashby_jobs)
    jobspy = build_jobspy(args.data)
    jsonld = build_jsonld(ashby_jobs, {e["of"][1] for e in generic})
    expected = {
        "ashby_copies": generic,
        "jsonld_copies": [jsonld],
        "jobspy_cross_site_groups": jobspy,
    }
    (OUT / "expected_duplicates.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(
        f"ashby postings: {len(ashby_jobs)}, generic copies: {len(generic)}, "
        f"jobspy cross-site groups: {len(jobspy)}, bytes on disk: {total}"
    )


if __name__ == "__main__":
    main()
