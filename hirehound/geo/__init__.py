"""Offline geography: posting location strings to city / region / country / remote.

Data: a pruned GeoNames extract shipped in ``hirehound/geo/data`` (CC BY 4.0; see README
there), loaded once per process on first use.
"""

from __future__ import annotations

from hirehound.geo._parse import Location, geocode, parse_location

__all__ = ["Location", "geocode", "parse_location"]
