"""The settings of the ETL commands, which also evaluate alarms after each run."""

from __future__ import annotations

from clickstream.etl.configuration import EtlSettings
from clickstream.ops.configuration import OpsSettings


class SchedulerSettings(EtlSettings, OpsSettings):
    """The ETL commands, which also evaluate alarms after each run."""
