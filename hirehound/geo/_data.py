"""The shipped GeoNames extract, loaded once per process into plain dicts (lookups cost ~µs)."""

from __future__ import annotations

import gzip
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

log = logging.getLogger(__name__)

_DATA_FILE = "geonames.tsv.gz"
_NON_WORD = re.compile(r"[^\w]+")


def key(s: str) -> str:
    """Lookup key: accents folded, lower case, punctuation as spaces ("Tel Aviv-Yafo" ->
    "tel aviv yafo", "St. Louis" -> "st louis", "Ra'anana" -> "raanana")."""
    s = s.replace("'", "").replace("’", "")
    if not s.isascii():
        folded = unicodedata.normalize("NFKD", s)
        ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
        s = ascii_only
    return _NON_WORD.sub(" ", s.lower()).strip()


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str
    region: str | None
    population: int
    lat: float
    lon: float


@dataclass(slots=True)
class Gazetteer:
    countries: dict[str, str] = field(default_factory=dict)  # key -> iso2
    country_names: dict[str, str] = field(default_factory=dict)  # iso2 -> name
    # key -> [(iso2, code)], e.g. "ca" -> [("US", "CA")], "on" -> [("CA", "ON")]
    regions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    region_names: dict[tuple[str, str], str] = field(default_factory=dict)
    # key -> places, primary-name matches first, then by population
    places: dict[str, list[Place]] = field(default_factory=dict)
    # key -> (city name or None, region or None, iso2)
    aliases: dict[str, tuple[str | None, str | None, str]] = field(default_factory=dict)

    def place(self, name: str, country: str) -> Place | None:
        for p in self.places.get(key(name), ()):
            if p.country == country and p.name == name:
                return p
        return None


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The gazetteer, read from the package data on first use (~0.3 s, ~40 MB)."""
    global _gazetteer
    if _gazetteer is None:
        with _lock:
            if _gazetteer is None:
                _gazetteer = _load()
    return _gazetteer


def _load() -> Gazetteer:
    g = Gazetteer()
    ref = resources.files("hirehound.geo") / "data" / _DATA_FILE
    primary: dict[str, list[Place]] = {}
    alternate: dict[str, list[Place]] = {}
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "P":
                name, cc, region, pop, lat, lon, alts = cols[1:8]
                p = Place(name, cc, region or None, int(pop), float(lat), float(lon))
                primary.setdefault(key(name), []).append(p)
                if alts:
                    for alt in alts.split("|"):
                        k = key(alt)
                        if k:
                            alternate.setdefault(k, []).append(p)
            elif kind == "C":
                iso, name, alts = cols[1], cols[2], cols[3]
                g.country_names[iso] = name
                g.countries.setdefault(key(name), iso)
                for alt in alts.split("|") if alts else ():
                    g.countries.setdefault(key(alt), iso)
                g.countries.setdefault(iso.lower(), iso)
            elif kind == "R":
                cc, code, name, alts = cols[1], cols[2], cols[3], cols[4]
                g.region_names[(cc, code)] = name
                for k in {key(code), key(name), *(key(a) for a in alts.split("|") if a)}:
                    g.regions.setdefault(k, []).append((cc, code))
            elif kind == "A":
                alias, city, region, cc = cols[1:5]
                g.aliases[key(alias)] = (city or None, region or None, cc)
    # Rows come sorted by population; primary names rank before alternate names.
    for k, ps in primary.items():
        g.places[k] = list(ps)
    for k, ps in alternate.items():
        seen = {id(p) for p in g.places.get(k, ())}
        g.places.setdefault(k, []).extend(p for p in ps if id(p) not in seen)
    log.debug("gazetteer: %d place keys, %d countries", len(g.places), len(g.country_names))
    return g
