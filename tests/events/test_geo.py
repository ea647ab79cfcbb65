"""Country lookups: the registries' data the `iptocc` package carries (real lookups of known
public blocks), and a MaxMind DB file the user provides."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from clickstream.events.geo import (
    NOWHERE,
    GeoDatabaseInvalid,
    MaxMindLocator,
    Place,
    open_locator,
)


def test_registry_data_places_known_public_blocks() -> None:
    locator = open_locator(None)
    assert locator.locate("8.8.8.8") == Place("US", None)  # Google, ARIN
    assert locator.locate("1.0.16.1") == Place("JP", None)  # APNIC's JP block
    assert locator.locate("193.0.6.139") == Place("NL", None)  # RIPE NCC, Amsterdam
    assert locator.locate("::ffff:193.0.6.139") == Place("NL", None)
    assert locator.locate("2001:4860:4860::8888") == Place("US", None)


@pytest.mark.parametrize("address", [None, "", "not an ip", "10.1.2.3", "127.0.0.1", "::1",
                                     "192.168.0.7", "203.0.113.9"])  # fmt: skip
def test_private_reserved_and_malformed_addresses_are_nowhere(address: str | None) -> None:
    assert open_locator(None).locate(address) == NOWHERE


def write_city_database(path: Path) -> Path:
    """A GeoIP2-City-shaped MaxMind DB file with one public network in it."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(
        IPSet(["81.2.69.0/24"]),
        {"country": {"iso_code": "GB"}, "subdivisions": [{"iso_code": "ENG"}]},
    )
    writer.insert_network(IPSet(["2.125.160.0/24"]), {"country": {"iso_code": "GB"}})
    writer.to_db_file(str(path))
    return path


def test_a_maxmind_database_gives_country_and_region(tmp_path: Path) -> None:
    locator = open_locator(write_city_database(tmp_path / "city.mmdb"))
    assert isinstance(locator, MaxMindLocator)
    assert locator.locate("81.2.69.142") == Place("GB", "GB-ENG")
    assert locator.locate("2.125.160.216") == Place("GB", None)
    assert locator.locate("8.8.8.8") == NOWHERE  # not in this file
    assert locator.locate("10.0.0.1") == NOWHERE
    locator.close()


def test_a_file_that_is_not_a_maxmind_database_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "countries.csv"
    bad.write_text("1.0.0.0,1.0.0.255,AU\n")
    with pytest.raises(GeoDatabaseInvalid, match=r"countries\.csv cannot be read as a MaxMind"):
        open_locator(bad)
    with pytest.raises(GeoDatabaseInvalid, match=r"absent\.mmdb"):
        open_locator(tmp_path / "absent.mmdb")
