"""Industry and size accuracy against the Glassdoor labels (evaluation only; never trained on).

    .venv/bin/python benchmarks/industry_eval.py [--csv ../shared/data/postings/glassdoor_jobs.csv]
        [--provider wordllama|hashing]

Per company (postings grouped by cleaned company name): the classifier sees what enrichment
sees in production, the company name, the reference dataset's facts and its postings' text;
never Glassdoor's own columns. Prints one line per measure with the majority baseline.
"""

from __future__ import annotations

import argparse
import collections
import csv
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--csv", type=Path, default=ROOT.parent / "shared/data/postings/glassdoor_jobs.csv"
    )
    ap.add_argument("--provider", default="wordllama")
    ap.add_argument("--confusion", action="store_true")
    args = ap.parse_args()
    if not args.csv.exists():
        print(f"skipped: {args.csv} not present")
        return 0

    from hirehound.embeddings import get_embedder
    from hirehound.enrichment import IndustryClassifier, bucket_of_label, estimate_bucket
    from hirehound.enrichment._industry import company_sentences
    from hirehound.enrichment._reference import reference_rows
    from hirehound.orgs import normalize_name
    from hirehound.settings import Settings

    companies: dict[str, dict] = {}
    for row in csv.DictReader(args.csv.open(encoding="utf-8")):
        name = row["Company Name"].split("\n")[0].strip()
        c = companies.setdefault(name, {"texts": [], "sector": row["Sector"], "size": row["Size"]})
        c["texts"].append(f"{row['Job Title']}. {row['Job Description'][:3000]}")

    clf = IndustryClassifier(get_embedder(Settings(embedding_provider=args.provider)))
    names = list(companies)
    start = time.perf_counter()
    inputs = []
    facts = []
    for name in names:
        rows = reference_rows(normalize_name(name))
        ref = {k: v for r in rows for k, v in r.items()}
        facts.append(ref)
        about = company_sentences(name, companies[name]["texts"])
        inputs.append(
            " ".join(
                [
                    name,
                    ref.get("description", ""),
                    ref.get("category", ""),
                    about or companies[name]["texts"][0][:500],
                ]
            )
        )
    guesses = clf.classify(inputs)
    elapsed = time.perf_counter() - start

    ind_total = ind_ok = post_total = post_ok = 0
    size_total = size_ok = size_adj = 0
    sectors = collections.Counter()
    sizes = collections.Counter()
    confusion = collections.Counter()
    buckets = ["1-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10000+"]
    for name, guess, ref in zip(names, guesses, facts, strict=True):
        c = companies[name]
        n = len(c["texts"])
        if c["sector"] not in ("-1", "") and guess:
            ind_total += 1
            post_total += n
            sectors[c["sector"]] += 1
            if guess.sector == c["sector"]:
                ind_ok += 1
                post_ok += n
            else:
                confusion[(c["sector"], guess.sector)] += 1
        truth = bucket_of_label(c["size"])
        if truth:
            bucket, _ = estimate_bucket(
                texts=c["texts"],
                public=bool(ref.get("public")),
                yc=bool(ref.get("yc")),
                posting_count=n,
            )
            size_total += 1
            sizes[truth] += 1
            size_ok += bucket == truth
            size_adj += abs(buckets.index(bucket) - buckets.index(truth)) <= 1
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"industry (25 Glassdoor sectors, {args.provider}): {ind_ok / ind_total:.1%} of "
        f"{ind_total} companies, {post_ok / post_total:.1%} of {post_total} postings; majority "
        f"baseline {sectors.most_common(1)[0][1] / ind_total:.1%}; "
        f"{elapsed / len(names) * 1000:.1f} ms/company; commit {commit}"
    )
    print(
        f"size (7 buckets): exact {size_ok / size_total:.1%}, within one bucket "
        f"{size_adj / size_total:.1%} of {size_total} companies; majority baseline "
        f"{sizes.most_common(1)[0][1] / size_total:.1%}"
    )
    if args.confusion:
        for (t, p), k in confusion.most_common(15):
            print(f"  {k:3d}  {t} -> {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
