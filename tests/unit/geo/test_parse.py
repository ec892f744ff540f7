"""parse_location and geocode against the shipped GeoNames extract."""

from __future__ import annotations

import pytest

from hirehound.geo import Location, geocode, parse_location


@pytest.mark.parametrize(
    ("raw", "hint", "city", "region", "country", "remote"),
    [
        ("San Francisco, CA", None, "San Francisco", "CA", "US", None),
        ("New York City", None, "New York City", "NY", "US", None),
        ("New York", None, "New York City", "NY", "US", None),  # the city, not the state
        ("NYC", None, "New York City", "NY", "US", None),  # hand alias
        ("SF Bay Area", None, "San Francisco", "CA", "US", None),
        ("Remote - US", True, None, None, "US", True),
        ("Remote-US", None, None, None, "US", True),  # no spaces round the hyphen
        ("U.S. (Remote)", None, None, None, "US", True),
        ("Remote (United States & Canada)", None, None, None, "US", True),  # first of two
        ("London, UK (hybrid)", None, "London", "ENG", "GB", False),  # hybrid = not remote
        ("Las Vegas, NV (Onsite)", True, "Las Vegas", "NV", "US", False),  # text beats hint
        ("Hybrid - Austin, TX", None, "Austin", "TX", "US", False),
        ("Berlin, Germany", None, "Berlin", "BE", "DE", None),
        ("Tel Aviv-Yafo, Tel Aviv District, Israel", None, "Tel Aviv", "TA", "IL", None),
        ("תל אביב-יפו, TA", None, "Tel Aviv", "TA", "IL", None),  # Hebrew name
        ("Netanya, HM", None, "Netanya", "M", "IL", None),  # LinkedIn's code for Central
        ("Bengaluru", None, "Bengaluru", "KA", "IN", None),
        ("India - Bengaluru", None, "Bengaluru", "KA", "IN", None),  # country first
        ("Toronto, ON", None, "Toronto", "ON", "CA", None),
        ("Remote", None, None, None, None, True),
        ("Remote", False, None, None, None, True),
        ("United States", True, None, None, "US", True),  # no words: the hint stays
        ("San Francisco; New York", None, "San Francisco", "CA", "US", None),  # first place
        # ambiguous names: population, unless region or country says otherwise
        ("Portland, OR", None, "Portland", "OR", "US", None),
        ("Portland, ME", None, "Portland", "ME", "US", None),
        ("London", None, "London", "ENG", "GB", None),
        ("London, ON", None, "London", "ON", "CA", None),
        ("Darmstadt, DE", None, "Darmstadt", "HE", "DE", None),  # DE = Germany here...
        ("Wilmington, DE", None, "Wilmington", "DE", "US", None),  # ...and Delaware here
        ("San Francisco Office", None, "San Francisco", "CA", "US", None),  # office noise
        ("Reading (London)", None, "Reading", "ENG", "GB", None),
        ("Singapore", None, "Singapore", None, "SG", None),  # city-state
        ("California", None, None, "CA", "US", None),
        ("Anywhere in France, Belgium, Spain", None, None, None, "FR", True),
        ("Tiny Town, TX", None, "Tiny Town", "TX", "US", None),  # unknown town kept as written
        ("Bogota", None, "Bogotá", None, "CO", None),
        ("LatAm", None, None, None, None, None),  # a continent-ish word: nothing
        ("Headquarters", None, None, None, None, None),
        ("", True, None, None, None, True),
        (None, None, None, None, None, None),
    ],
)
def test_parse_location(
    raw: str | None,
    hint: bool | None,
    city: str | None,
    region: str | None,
    country: str | None,
    remote: bool | None,
) -> None:
    loc = parse_location(raw, remote=hint)
    assert (loc.city, loc.region, loc.country, loc.remote) == (city, region, country, remote)


def test_coordinates_come_with_known_cities() -> None:
    loc = parse_location("Toronto, ON")
    assert loc.lat == pytest.approx(43.7, abs=0.1) and loc.lon == pytest.approx(-79.4, abs=0.1)
    assert parse_location("Remote - US").lat is None


def test_results_are_cached() -> None:
    assert parse_location("Berlin, Germany") is parse_location("Berlin, Germany")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Portland", "Maine", "US"), ("Portland", "ME", "US")),
        (("London", "ON", None), ("London", "ON", "CA")),
        (("London", None, "United Kingdom"), ("London", "ENG", "GB")),
        (("San Francisco", None, None), ("San Francisco", "CA", "US")),
        ((None, None, "Germany"), (None, None, "DE")),
        (("Nowhere Town", "TX", None), ("Nowhere Town", "TX", "US")),
    ],
)
def test_geocode(args: tuple[str | None, ...], expected: tuple[str | None, ...]) -> None:
    loc = geocode(*args)
    assert isinstance(loc, Location)
    assert (loc.city, loc.region, loc.country) == expected


def test_geocode_unknown() -> None:
    assert geocode("Nowhere Town") is None
    assert geocode(None) is None
