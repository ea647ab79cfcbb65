"""The ingest looks the client's country up before it truncates the address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clickstream.events.geo import GeoDatabaseInvalid
from clickstream.ingest.http.app import build_service
from tests.events.test_geo import write_city_database
from tests.ingest.conftest import Ingest, settings_for


def test_country_comes_from_the_full_address_and_only_the_network_is_stored(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_trusted_proxies="127.0.0.1", ingest_ship_before_ack=True)
    for address in ("193.0.6.139", "8.8.8.8", "10.9.8.7"):
        answer = ingest.post({"event_name": "page_view"}, headers={"x-forwarded-for": address})
        assert answer.status_code == 202
    stored = sorted((r["client_ip"], r["country"], r["region"]) for r in ingest.stored())
    assert stored == [
        ("10.9.8.0", None, None),
        ("193.0.6.0", "NL", None),
        ("8.8.8.0", "US", None),
    ]


def test_a_maxmind_file_from_the_settings_gives_regions(
    make_ingest: Callable[..., Ingest], tmp_path: Path
) -> None:
    database = write_city_database(tmp_path / "city.mmdb")
    ingest = make_ingest(
        ingest_trusted_proxies="127.0.0.1",
        ingest_ship_before_ack=True,
        ingest_geoip_database=database,
    )
    ingest.post({"event_name": "page_view"}, headers={"x-forwarded-for": "81.2.69.160"})
    assert [(r["client_ip"], r["country"], r["region"]) for r in ingest.stored()] == [
        ("81.2.69.0", "GB", "GB-ENG")
    ]


def test_a_bad_geoip_file_stops_the_ingest_from_starting(tmp_path: Path) -> None:
    bad = tmp_path / "geo.mmdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(GeoDatabaseInvalid, match=r"geo\.mmdb"):
        build_service(settings_for(tmp_path, ingest_geoip_database=bad))
