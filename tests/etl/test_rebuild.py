"""`etl rebuild` reproduces incremental loads; `etl backfill` re-derives a date range."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.backfill import DateRangeInvalid, backfill
from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record, snapshot


def _arrive(lake_dir: Path, seq: int) -> None:
    """The lake as it grows between runs: a few sessions an hour, some repeats and bad lines."""
    lake = open_lake(str(lake_dir))
    hour = HOUR + timedelta(hours=seq * 5)
    lines: list[object] = []
    for n in range(3):
        sid = f"s-{seq}-{n}"
        lines += [
            record("page_view", hour + timedelta(minutes=n), session_id=sid, client_id=f"c{n}"),
            record("product_view", hour + timedelta(minutes=n + 1), session_id=sid,
                   client_id=f"c{n}", product={"id": f"p{n}", "price": 10}),
        ]
    lines += [lines[0], "{broken"]
    put(lake, hour, lines, seq=seq)


def test_rebuild_from_the_lake_equals_the_incremental_loads(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    for seq in range(1, 7):
        _arrive(lake_dir, seq)
        run_etl(warehouse_url, lake, options=EtlOptions(batch_files=1))
    incremental = snapshot(warehouse_url)

    result = rebuild(warehouse_url, lake, options=EtlOptions(batch_files=4))

    assert (result.status, result.files, result.loaded) == ("succeeded", 6, 36)
    assert snapshot(warehouse_url) == incremental
    assert len(incremental["sessions"]) == 18


def test_backfill_rederives_a_date_range_after_derived_rows_were_lost(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    for seq in range(1, 7):
        _arrive(lake_dir, seq)
    run_etl(warehouse_url, lake)
    before = snapshot(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("DELETE FROM sessions")
        conn.execute("DELETE FROM daily_kpis WHERE day = '2026-11-25'")

    result = backfill(warehouse_url, date(2026, 11, 23), date(2026, 11, 26))

    assert (result.status, result.days_derived) == ("succeeded", 4)
    assert snapshot(warehouse_url) == before


def test_backfill_refuses_a_range_that_ends_before_it_starts(warehouse_url: str) -> None:
    with pytest.raises(DateRangeInvalid, match="before"):
        backfill(warehouse_url, date(2026, 11, 25), date(2026, 11, 24))
