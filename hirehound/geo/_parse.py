"""Read posting location strings into city / region / country / remote, offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hirehound.geo._data import Gazetteer, Place, gazetteer, key

__all__ = ["Location", "geocode", "parse_location"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a job is. ``country`` is ISO 3166-1 alpha-2; ``region`` is the ISO 3166-2
    subdivision code without the country ("CA", "ON", "TA") where GeoNames data maps it,
    else None. ``remote``: True fully remote, False on-site or hybrid, None unknown."""

    city: str | None
    region: str | None
    country: str | None
    remote: bool | None
    lat: float | None = None
    lon: float | None = None


# "Remote" means fully remote. Hybrid means attending an office some days, so it is NOT
# remote (False), like on-site. A remote word wins over hybrid ("Remote or hybrid").
_REMOTE = re.compile(
    r"\b(?:remote|remotely|anywhere|work from home|wfh|telecommute|telework|home[- ]?based|"
    r"distributed|virtual|fully[- ]remote|teletrabajo|remoto|t[ée]l[ée]travail)\b",
    re.IGNORECASE,
)
_NOT_REMOTE = re.compile(
    r"\b(?:hybrid|on[- ]?site|in[- ]office|in[- ]person|office[- ]based|onsite)\b", re.IGNORECASE
)
# Words that are about the work mode or the office, not the place.
_NOISE = re.compile(
    r"\b(?:fully remote|remote first|remote|remotely|hybrid|on[- ]?site|onsite|in[- ]office|"
    r"in[- ]person|office[- ]based|offices?|headquarters|hq|campus|based|only|anywhere in|"
    r"anywhere|work from home|wfh|flexible|home[- ]?based|distributed|virtual|multiple locations|"
    r"various locations|locations?|metro(?:politan)? area|area|greater|region|"
    r"time ?zones?|friendly|preferred|required|within|in|the|and|or|of)\b",
    re.IGNORECASE,
)
_PARENS = re.compile(r"[(\[]([^)\]]*)[)\]]")
_MULTI = re.compile(r"\s*(?:;|\||/|\n|\bor\b|&|\+|\band\b)\s*", re.IGNORECASE)
_PARTS = re.compile(r"\s*(?:,|\s[-–—:]\s|\s[-–—]|[-–—]\s|:)\s*")
_EDGE = " .,-–—:;*•|/\\\"'"
# City-states: the country name is also the city.
_CITY_STATES = frozenset({"SG", "HK", "MO", "MC", "VA", "GI", "LU"})

_NO_LOCATION_REMOTE_UNKNOWN = Location(None, None, None, None)


def _remote_flag(text: str, hint: bool | None) -> bool | None:
    if _REMOTE.search(text):
        return True
    if _NOT_REMOTE.search(text):
        return False
    return hint


def parse_location(text: str | None, *, remote: bool | None = None) -> Location:
    """Parse a location string ("San Francisco, CA", "Remote - US", "London, UK (hybrid)").

    ``remote`` is the source's own flag; words in the text win over it ("Hybrid - Austin" is
    not remote even if the source says remote). Several places ("San Francisco; New York")
    give the first one that resolves. Unknown places keep what could be read (a country, or
    the city as written beside a known region/country). Results are cached per string.
    """
    if not text or not text.strip():
        return Location(None, None, None, remote)
    return _parse_cached(text.strip()[:300], remote)


@lru_cache(maxsize=65_536)
def _parse_cached(text: str, hint: bool | None) -> Location:
    flag = _remote_flag(text, hint)
    g = gazetteer()
    main = _PARENS.sub(" ", text)
    inner = _PARENS.findall(text)
    for candidate in (main, *inner):
        found = _resolve_text(g, candidate)
        if found is not None:
            return Location(found[0], found[1], found[2], flag, found[3], found[4])
    return Location(None, None, None, flag)


_Found = tuple[str | None, str | None, str, float | None, float | None]


def _resolve_text(g: Gazetteer, text: str) -> _Found | None:
    whole = _alias(g, text)
    if whole is not None:
        return whole
    for segment in _MULTI.split(text):
        found = _resolve_segment(g, segment)
        if found is not None:
            return found
    return None


def _alias(g: Gazetteer, text: str) -> _Found | None:
    hit = g.aliases.get(key(text))
    if hit is None:
        return None
    city, region, cc = hit
    place = g.place(city, cc) if city else None
    if place is not None:
        return place.name, place.region or region, cc, place.lat, place.lon
    return city, region, cc, None, None


def _split_parts(segment: str) -> list[str]:
    parts = []
    for raw in _PARTS.split(segment):
        if not raw:
            continue
        if _alias_key_or_place(raw):
            parts.append(raw.strip(_EDGE))
            continue
        cleaned = _NOISE.sub(" ", raw).strip(_EDGE)
        cleaned = " ".join(cleaned.split())
        if cleaned:
            parts.append(cleaned)
    return parts


def _alias_key_or_place(raw: str) -> bool:
    g = gazetteer()
    k = key(raw)
    return k in g.aliases or k in g.places


def _resolve_segment(g: Gazetteer, segment: str) -> _Found | None:
    parts = _split_parts(segment)
    if not parts:
        return None
    # Parts still unknown that hold a bare hyphen: "India-Karnataka", "Remote-US".
    expanded: list[str] = []
    for p in parts:
        k = key(p)
        if "-" in p and k not in g.places and k not in g.countries and k not in g.regions:
            expanded.extend(x.strip(_EDGE) for x in p.split("-") if x.strip(_EDGE))
        else:
            expanded.append(p)
    parts = expanded

    keys = [key(p) for p in parts]
    if len(parts) == 1:
        return _resolve_single(g, parts[0], keys[0])

    # Constraints from the parts that are countries or regions; each part allows a set of
    # (country, region-or-None) pairs. Two-letter codes may be either ("CA", "DE", "IN").
    constraints: list[tuple[int, set[tuple[str, str | None]]]] = []
    countries: list[str] = []
    for i, k in enumerate(keys):
        allowed: set[tuple[str, str | None]] = set()
        for cc, code in g.regions.get(k, ()):
            allowed.add((cc, code))
        iso = g.countries.get(k)
        if iso is not None:
            allowed.add((iso, None))
            if len(k) > 2 or not g.regions.get(k):
                countries.append(iso)
        if allowed:
            constraints.append((i, allowed))

    # The city: the first part with places (or a hand alias) that fits every other part.
    for i, k in enumerate(keys):
        others = [a for j, a in constraints if j != i]
        alias = g.aliases.get(k)
        if alias is not None and alias[0]:
            place = g.place(alias[0], alias[2])
            if place is not None and all(_fits(place, a) for a in others):
                return place.name, place.region, place.country, place.lat, place.lon
        for place in g.places.get(k, ()):
            if all(_fits(place, a) for a in others):
                return place.name, place.region, place.country, place.lat, place.lon

    # No known city: keep what the constraints say, and a city as written beside them.
    country = countries[0] if countries else None
    region = None
    for _, allowed in constraints:
        regs = [(cc, r) for cc, r in allowed if r is not None and (country in (None, cc))]
        if len(regs) == 1 or (regs and country is None and any(cc == "US" for cc, _ in regs)):
            cc, region = next(((c, r) for c, r in regs if c == "US"), regs[0])
            country = country or cc
            break
    if country is None:
        return None
    constrained = {i for i, _ in constraints}
    city = next(
        (p for i, p in enumerate(parts) if i not in constrained and _looks_like_name(p)), None
    )
    return city, region, country, None, None


def _fits(place: Place, allowed: set[tuple[str, str | None]]) -> bool:
    return any(place.country == cc and (r is None or place.region == r) for cc, r in allowed)


def _resolve_single(g: Gazetteer, part: str, k: str) -> _Found | None:
    alias = _alias(g, part)
    if alias is not None:
        return alias
    iso = g.countries.get(k)
    places = g.places.get(k, ())
    if iso is not None and (len(k) > 2 or not places):
        if iso in _CITY_STATES:
            place = g.place(g.country_names[iso], iso) or next(iter(places), None)
            if place is not None:
                return place.name, place.region, iso, place.lat, place.lon
        return None, None, iso, None, None
    if places:
        p = places[0]
        return p.name, p.region, p.country, p.lat, p.lon
    regs = g.regions.get(k)
    if regs:
        cc, code = next((r for r in regs if r[0] == "US"), regs[0])
        return None, code, cc, None, None
    return None


def _looks_like_name(p: str) -> bool:
    return 2 <= len(p) <= 40 and not any(ch.isdigit() for ch in p) and p[0].isalpha()


def geocode(
    city: str | None, region: str | None = None, country: str | None = None
) -> Location | None:
    """Locate an organization's headquarters from separate fields; None when nothing is known.

    ``country`` may be a name or ISO code, ``region`` a name or code ("Ontario", "ON").
    """
    g = gazetteer()
    cc = g.countries.get(key(country)) if country else None
    regs = [r for r in g.regions.get(key(region), ()) if cc in (None, r[0])] if region else []
    if city:
        k = key(city)
        alias = g.aliases.get(k)
        candidates = list(g.places.get(k, ()))
        if alias is not None and alias[0]:
            ap = g.place(alias[0], alias[2])
            if ap is not None:
                candidates.insert(0, ap)
        for p in candidates:
            if cc and p.country != cc:
                continue
            if regs and not any(p.country == c and p.region == r for c, r in regs):
                continue
            return Location(p.name, p.region, p.country, None, p.lat, p.lon)
    if regs:
        c, r = next((x for x in regs if x[0] == "US"), regs[0]) if cc is None else regs[0]
        return Location(city.strip() if city else None, r, c, None)
    if cc:
        return Location(city.strip() if city else None, None, cc, None)
    return None
