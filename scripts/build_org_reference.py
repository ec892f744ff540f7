"""Build the shipped organization reference, hirehound/enrichment/data/organizations.jsonl.gz.

    .venv/bin/python scripts/build_org_reference.py [--data ../shared/data] [--out PATH]

Inputs (licenses in hirehound/enrichment/data/README.md):
- SEC EDGAR company tickers and exchanges (public domain): legal name, ticker, exchange;
- Y Combinator startups 2005-2014 (CC BY-SA 4.0): description, categories, founding year,
  headquarters, website.
Fortune 500 has no license: it is used only for evaluation, never shipped.
One JSON object per organization and source, sorted, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hirehound.orgs import normalize_domain, normalize_name  # noqa: E402

OUT = ROOT / "hirehound" / "enrichment" / "data" / "organizations.jsonl.gz"

_COUNTRIES = {
    "usa": "US",
    "united states": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "uk": "GB",
    "india": "IN",
    "israel": "IL",
    "germany": "DE",
    "france": "FR",
}


def _title(name: str) -> str:
    # SEC names are often all caps ("NVIDIA CORP"); a display name reads better in title case.
    return name.title() if name.isupper() else name


def sec_rows(path: Path) -> list[dict[str, object]]:
    data = json.loads(path.read_text())
    fields = data["fields"]
    rows = []
    for values in data["data"]:
        rec = dict(zip(fields, values, strict=True))
        key = normalize_name(rec["name"])
        if not key:
            continue
        rows.append(
            {
                "key": key,
                "name": _title(rec["name"]),
                "source": "sec",
                "ticker": rec.get("ticker"),
                "exchange": rec.get("exchange"),
                "public": True,
                "cik": rec.get("cik"),
            }
        )
    return rows


def yc_rows(path: Path) -> list[dict[str, object]]:
    text = path.read_bytes().decode("latin-1")
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        name = (rec.get("Company") or "").strip()
        key = normalize_name(name)
        if not key:
            continue
        year = re.search(r"\d{4}", rec.get("Year Founded") or "")
        country = (rec.get("Headquarters (Country)") or "").strip()
        rows.append(
            {
                "key": key,
                "name": name,
                "source": "yc",
                "description": (rec.get("Description") or "").strip() or None,
                "category": (rec.get("Categories") or "").strip() or None,
                "founded_year": int(year.group(0)) if year else None,
                "hq_city": (rec.get("Headquarters (City)") or "").strip() or None,
                "hq_region": (rec.get("Headquarters (US State)") or "").strip() or None,
                "hq_country": _COUNTRIES.get(country.lower(), country or None),
                "domain": normalize_domain(rec.get("Website")),
                "status": (rec.get("Satus") or "").strip() or None,
                "yc": True,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    orgs = args.data / "orgs"
    rows = sec_rows(orgs / "sec_company_tickers_exchange.json")
    rows += yc_rows(orgs / "yc_startups_2005_2014.csv")
    # One row per (source, key): the SEC lists share classes of one company under one name.
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in sorted(
        rows, key=lambda r: (str(r["source"]), str(r["key"]), str(r.get("ticker") or ""))
    ):
        ident = (str(row["source"]), str(row["key"]))
        if ident not in seen:
            seen.add(ident)
            unique.append({k: v for k, v in row.items() if v is not None})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in unique)
    with open(args.out, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(payload.encode())
    print(f"wrote {len(unique)} organizations to {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
