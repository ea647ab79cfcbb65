"""Country (and region) of a client IP address, looked up before the address is truncated.

By default the lookup uses `iptocc`, which carries the five Regional Internet Registries'
delegation files inside its wheel (MIT/Apache-2.0 code, public registry data, refreshed
nightly upstream; no network at run time): country only, as assigned by the registry. A
MaxMind GeoIP2 or GeoLite2 Country/City database (`.mmdb`) that the user provides
(`CLICKSTREAM_INGEST_GEOIP_DATABASE`) is read with MaxMind's `maxminddb` reader instead and
gives the region (the first subdivision's ISO code) too, where the file has it.
"""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from typing import Any, NamedTuple, Protocol


class Place(NamedTuple):
    """An ISO 3166-1 alpha-2 country and an ISO 3166-2 subdivision code, each None if unknown."""

    country: str | None
    region: str | None


NOWHERE = Place(None, None)


class GeoDatabaseInvalid(ValueError):
    """The configured GeoIP database cannot be opened or is not a MaxMind DB file."""


class Locator(Protocol):
    """Finds where an IP address is."""

    def locate(self, address: str | None) -> Place:
        """The place of `address`; `NOWHERE` for private, malformed or unknown addresses."""
        ...


def _public(address: str | None) -> str | None:
    """`address` in canonical form when it is a public unicast address, else None."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip) if ip.is_global else None


class RegistryLocator:
    """Countries from the registries' delegations carried by the `iptocc` package."""

    def __init__(self) -> None:
        from iptocc import country_code

        self._country_code = country_code
        self._cached = functools.lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, address: str | None) -> Place:
        public = _public(address)
        if public is None:
            return NOWHERE
        country = self._country_code(public)
        return Place(country.upper() if country else None, None)

    def locate(self, address: str | None) -> Place:
        """The country the registries assigned `address`'s block to."""
        return self._cached(address)


class MaxMindLocator:
    """Country and region from a MaxMind DB file (GeoIP2/GeoLite2 Country or City)."""

    def __init__(self, path: Path) -> None:
        import maxminddb

        try:
            self._reader = maxminddb.open_database(str(path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise GeoDatabaseInvalid(
                f"the GeoIP database {path} cannot be read as a MaxMind DB file: {exc}"
            ) from None
        self._cached = functools.lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, address: str | None) -> Place:
        public = _public(address)
        if public is None:
            return NOWHERE
        found: Any = self._reader.get(public)
        if not isinstance(found, dict):
            return NOWHERE
        country = (found.get("country") or found.get("registered_country") or {}).get("iso_code")
        subdivisions = found.get("subdivisions") or [{}]
        region = subdivisions[0].get("iso_code")
        if country and region:
            region = f"{country}-{region}"
        return Place(country, region if country else None)

    def locate(self, address: str | None) -> Place:
        """The country and first subdivision the database gives `address`."""
        return self._cached(address)

    def close(self) -> None:
        """Release the database file."""
        self._reader.close()


def open_locator(database: Path | None) -> Locator:
    """The MaxMind database at `database` when one is given, else the registries' data."""
    if database is not None:
        return MaxMindLocator(database)
    return RegistryLocator()
