"""DuckDB's direct read and the line-by-line path give the same warehouse."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.lake.remote import RemoteLake
from tests.etl.lakefiles import HOUR, put, record, snapshot


def test_direct_read_and_line_path_load_identical_rows(
    lake_dir: Path, warehouse_url: str, other_warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    for seq in range(1, 4):
        hour = HOUR + timedelta(hours=seq)
        put(
            lake,
            hour,
            [
                record("page_view", hour, session_id=f"s{seq}", properties={"k": [1, "x"]}),
                record(
                    "purchase",
                    hour + timedelta(minutes=2),
                    session_id=f"s{seq}",
                    product={"id": "p", "price": "12.50", "quantity": 2},
                    order={"id": f"o{seq}", "total": 25, "currency": "EUR", "item_count": 2},
                    user_agent=None,
                    unknown_field={"nested": True},
                ),
            ],
            seq=seq,
        )

    direct = run_etl(warehouse_url, lake)  # a local lake: DuckDB reads the files itself
    # The same folder through fsspec's local filesystem: fetched bytes, split into lines.
    by_lines = run_etl(other_warehouse_url, RemoteLake(f"file://{lake_dir}"))

    assert (direct.loaded, by_lines.loaded) == (6, 6)
    assert snapshot(warehouse_url) == snapshot(other_warehouse_url)
