"""The ETL's options take their defaults from its settings, written once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clickstream.etl.configuration import EtlOptions, EtlSettings


def test_options_without_arguments_equal_the_options_of_default_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("CLICKSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no `.env` file

    assert EtlOptions() == EtlOptions.from_settings(EtlSettings())


def test_settings_from_the_environment_reach_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKSTREAM_ETL_BATCH_FILES", "7")
    monkeypatch.setenv("CLICKSTREAM_ETL_DUCKDB_MEMORY_LIMIT", "512MB")

    options = EtlOptions.from_settings(EtlSettings())

    assert (options.batch_files, options.duckdb_memory_limit) == (7, "512MB")
