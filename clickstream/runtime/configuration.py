"""Every part's settings composed: what `clickstream up` starts and `clickstream settings` lists."""

from __future__ import annotations

from clickstream.dashboard.configuration import DashboardSettings
from clickstream.etl.configuration import EtlSettings
from clickstream.ingest.configuration import IngestSettings
from clickstream.ops.configuration import OpsSettings
from clickstream.settings import variables
from clickstream.shop.configuration import ShopSettings


class PlatformSettings(IngestSettings, EtlSettings, DashboardSettings, OpsSettings, ShopSettings):
    """Everything `clickstream up` needs to start all parts together."""


def all_variables() -> dict[str, str]:
    """Every setting's variable name and help text, for docs and `clickstream settings`."""
    return variables(PlatformSettings)
