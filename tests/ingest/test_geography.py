"""The ingest looks the client's country up before it truncates the address; a region from a
MaxMind file reaches the warehouse's sessions and the Geography page's statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from clickstream import utc
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.warehouse import Warehouse
from clickstream.etl.run import run_etl
from clickstream.events.geo import GeoDatabaseInvalid
from clickstream.ingest.http.app import build_service
from clickstream.lake import open_lake
from tests.dashboard.conftest import as_dashboard
from tests.events.test_geo import write_city_database
from tests.ingest.conftest import Ingest, running_ingest, settings_for


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


# One server is enough: the statement's agreement with SQL on both is tests/dashboard's.
@pytest.mark.parametrize("pg_admin_url", ["embedded"], indirect=True)
def test_a_region_from_the_maxmind_file_reaches_sessions_and_the_geography_regions(
    warehouse_url: str, tmp_path: Path
) -> None:
    database = write_city_database(tmp_path / "city.mmdb")
    with running_ingest(
        tmp_path,
        ingest_trusted_proxies="127.0.0.1",
        ingest_ship_before_ack=True,
        ingest_geoip_database=database,
    ) as ingest:
        # In the file with a region, in it without one, and not in it at all.
        for address, session in (("81.2.69.160", "s-eng"), ("2.125.160.9", "s-gb"),
                                 ("8.8.8.8", "s-far")):  # fmt: skip
            event = {"event_name": "page_view", "session_id": session, "client_id": session}
            answer = ingest.post(event, headers={"x-forwarded-for": address})
            assert answer.status_code == 202
    assert run_etl(warehouse_url, open_lake(str(tmp_path / "lake"))).status == "succeeded"
    with psycopg.connect(warehouse_url) as conn:
        places = conn.execute("SELECT session_id, country, region FROM sessions").fetchall()
    assert sorted(places) == [("s-eng", "GB", "GB-ENG"), ("s-far", None, None),
                              ("s-gb", "GB", None)]  # fmt: skip

    today = utc.now().date()
    warehouse = Warehouse(as_dashboard(warehouse_url))
    try:
        params = Filters(today - timedelta(days=6), today, include_bots=True).params(limit=None)
        rows = warehouse.rows("traffic", "regions", params)
    finally:
        warehouse.close()
    assert [(r["label"], r["sessions"]) for r in rows] == [("GB-ENG", 1)]
