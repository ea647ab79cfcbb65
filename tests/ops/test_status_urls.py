"""`status` shows database URLs without passwords and flags refused cross-origin requests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app as build_ingest
from clickstream.ops.status import collect_status
from clickstream.ops.status_urls import (
    CORS_REFUSED_METRIC,
    cors_problem,
    database_lines,
    masked_url,
    refused_cross_origin,
)
from clickstream.runtime.configuration import PlatformSettings
from clickstream.settings import CommonSettings, load
from tests.conftest import ServerThread, free_port


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://etl:s3cret@db.example:5432/warehouse",
         "postgresql://etl:***@db.example:5432/warehouse"),
        ("postgresql://etl@db.example/warehouse?password=s3cret&sslmode=require",
         "postgresql://etl@db.example/warehouse?password=***&sslmode=require"),
        ("host=db.example user=etl password='s3 cret' dbname=warehouse",
         "host=db.example user=etl password=*** dbname=warehouse"),
        ("postgresql://postgres@127.0.0.1:5433/warehouse",
         "postgresql://postgres@127.0.0.1:5433/warehouse"),
    ],
)  # fmt: skip
def test_database_urls_are_shown_with_the_password_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown
    assert "s3" not in masked_url(url)


def test_status_lists_each_database_and_says_which_are_embedded(tmp_path: Path) -> None:
    embedded = CommonSettings(data_dir=tmp_path)  # type: ignore[call-arg]
    lines = database_lines(embedded, "postgresql://clickstream_etl@127.0.0.1:5999/warehouse")
    assert lines == [
        "warehouse db  postgresql://clickstream_etl@127.0.0.1:5999/warehouse  (embedded)",
        "shop db       postgresql://clickstream_shop@127.0.0.1:5999/shop  (embedded)",
    ]
    external = CommonSettings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        warehouse_url=SecretStr("postgresql://etl:pw1@db/warehouse"),
        shop_db_url=SecretStr("postgresql://shop:pw2@db/shop"),
    )
    lines = database_lines(external, "postgresql://etl:pw1@db/warehouse")
    assert lines == [
        "warehouse db  postgresql://etl:***@db/warehouse",
        "shop db       postgresql://shop:***@db/shop",
    ]


def test_refused_cross_origin_requests_are_summed_per_reason() -> None:
    text = (
        f"# TYPE {CORS_REFUSED_METRIC} counter\n"
        f'{CORS_REFUSED_METRIC}{{reason="preflight_origin_not_allowed"}} 3.0\n'
        f'{CORS_REFUSED_METRIC}{{reason="origin_not_allowed"}} 2.0\n'
        f'{CORS_REFUSED_METRIC}{{reason="other"}} 0.0\n'
    )
    assert refused_cross_origin(text) == {
        "preflight_origin_not_allowed": 3.0,
        "origin_not_allowed": 2.0,
    }
    assert refused_cross_origin(f"# TYPE {CORS_REFUSED_METRIC} counter\n") == {}


def test_status_flags_a_preflight_the_ingest_refused(tmp_path: Path) -> None:
    settings = IngestSettings(  # type: ignore[call-arg]
        lake_url=str(tmp_path / "lake"),
        data_dir=tmp_path / "ingest-data",
        node_id="status",
        ingest_cors_origins="http://127.0.0.1:8000",
    )
    with ServerThread(build_ingest(settings)) as ingest:
        metrics = f"{ingest.url}/metrics"
        assert cors_problem(metrics) is None
        refused = httpx.options(
            f"{ingest.url}/clickstream",
            headers={"Origin": "http://127.0.0.1:28000", "Access-Control-Request-Method": "POST"},
        )
        assert refused.status_code == 403
        assert CORS_REFUSED_METRIC in httpx.get(metrics).text
        problem = cors_problem(metrics)
    assert problem is not None and problem.startswith("ingest refused 1 cross-origin request")
    assert "CLICKSTREAM_INGEST_CORS_ORIGINS" in problem


def test_status_on_a_warehouse_never_migrated_says_so_instead_of_failing(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = load(
        PlatformSettings,
        data_dir=tmp_path,
        lake_url=str(tmp_path / "lake"),
        ingest_port=free_port(),
        dashboard_port=free_port(),
    )
    report = collect_status(settings, empty_database_url)
    assert not report.healthy
    (problem,) = [p for p in report.problems if "not migrated" in p]
    assert "etl_runs" in problem and "clickstream db migrate" in problem
