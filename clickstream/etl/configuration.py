"""The ETL's settings (`CLICKSTREAM_ETL_*`) and the options a run takes from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from clickstream.settings import CommonSettings, default_of


class EtlSettings(CommonSettings):
    """The batch ETL and its scheduler."""

    etl_schedule: str = Field(
        "rate(1 hour)",
        description="When the scheduler runs the ETL: an EventBridge expression such as "
        "`rate(1 hour)` or `cron(5 * * * ? *)`.",
    )
    etl_run_at_start: bool = Field(
        True, description="Whether `etl schedule` runs once as soon as it starts."
    )
    etl_batch_files: int = Field(
        500, ge=1, description="Most lake files loaded together in one warehouse transaction."
    )
    etl_batch_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="About how many compressed bytes of lake files one batch holds.",
    )
    etl_duckdb_threads: int = Field(
        2, ge=1, le=256, description="Threads DuckDB uses for the transform."
    )
    etl_duckdb_memory_limit: str = Field(
        "1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description=(
            "Memory each of the ETL's DuckDB connections (two for batches, one for the "
            "derive) may use, e.g. `1GB`."
        ),
    )
    etl_fetch_workers: int = Field(
        4, ge=1, le=64, description="Lake files downloaded and decompressed in parallel."
    )
    etl_work_dir: Path | None = Field(
        None,
        description="Folder for the ETL's temporary files; unset means the system's "
        "temporary folder.",
    )

    etl_engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="The ETL's engine: `duckdb` (one machine, the reference) or `spark` "
        "(the same outputs on a Spark cluster; needs the `clickstream[spark]` extra and Java "
        "17, see docs/scale.md).",
    )
    etl_spark_master: str | None = Field(
        None,
        description="The Spark master a run started from Python uses, e.g. `local[2]` or "
        "`spark://host:7077`; unset means `local[*]`, or the master `spark-submit` was given.",
    )
    etl_channel_rules: Path | None = Field(
        None,
        description="A TOML file of channel rules (the shipped `clickstream/etl/channels.toml` "
        "shows the format) to use instead of the defaults; `etl rebuild` applies changed rules "
        "to events already loaded.",
    )


# Each setting's default, written once above; `EtlOptions` takes its defaults from here.


@dataclass(frozen=True)
class EtlOptions:
    """How a run batches and transforms; defaults are the settings' defaults."""

    batch_files: int = default_of(EtlSettings, "etl_batch_files")
    batch_bytes: int = default_of(EtlSettings, "etl_batch_bytes")
    duckdb_threads: int = default_of(EtlSettings, "etl_duckdb_threads")
    duckdb_memory_limit: str = default_of(EtlSettings, "etl_duckdb_memory_limit")
    fetch_workers: int = default_of(EtlSettings, "etl_fetch_workers")
    work_dir: Path | None = default_of(EtlSettings, "etl_work_dir")  # noqa: RUF009 (None or a Path)
    engine: str = default_of(EtlSettings, "etl_engine")
    spark_master: str | None = default_of(EtlSettings, "etl_spark_master")
    channel_rules: Path | None = default_of(EtlSettings, "etl_channel_rules")  # noqa: RUF009

    @classmethod
    def from_settings(cls, settings: EtlSettings) -> EtlOptions:
        """The options `settings` describe."""
        return cls(
            batch_files=settings.etl_batch_files,
            batch_bytes=settings.etl_batch_bytes,
            duckdb_threads=settings.etl_duckdb_threads,
            duckdb_memory_limit=settings.etl_duckdb_memory_limit,
            fetch_workers=settings.etl_fetch_workers,
            work_dir=settings.etl_work_dir,
            engine=settings.etl_engine,
            spark_master=settings.etl_spark_master,
            channel_rules=settings.etl_channel_rules,
        )
