"""The engine seam and the spark-submit entry point refuse bad usage with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clickstream.cli.main import cli
from clickstream.etl.run import EtlOptions, EtlRunFailed, run_etl
from clickstream.etl.spark import job
from clickstream.lake import open_lake


def test_job_without_a_warehouse_exits_2_naming_what_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLICKSTREAM_WAREHOUSE_URL", raising=False)
    assert job.main(["--lake", "/nowhere"]) == job.EXIT_USAGE
    assert "CLICKSTREAM_WAREHOUSE_URL" in capsys.readouterr().err


def test_unknown_engine_fails_the_run_and_says_which_engines_exist(
    warehouse_url: str, lake_dir: Path
) -> None:
    with pytest.raises(EtlRunFailed, match="unknown ETL engine 'flink': duckdb or spark"):
        run_etl(warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(engine="flink"))


def test_etl_run_refuses_an_unknown_engine_with_exit_2() -> None:
    result = CliRunner().invoke(cli, ["etl", "run", "--engine", "flink"])
    assert result.exit_code == 2
    assert "flink" in result.output
