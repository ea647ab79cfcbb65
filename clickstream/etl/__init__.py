"""The batch ETL: lake files not yet in the manifest become warehouse rows, each exactly once.

The public entry points, imported on first use (the ETL's engines load only when a caller
needs them): `run_etl`, `EtlRunFailed`, `RunResult` and `rederive_days`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clickstream.etl.derive.days import derive_days as rederive_days
    from clickstream.etl.result import RunResult
    from clickstream.etl.run import EtlRunFailed, run_etl

__all__ = ["EtlRunFailed", "RunResult", "rederive_days", "run_etl"]

_HOMES = {
    "EtlRunFailed": ("clickstream.etl.run", "EtlRunFailed"),
    "RunResult": ("clickstream.etl.result", "RunResult"),
    "rederive_days": ("clickstream.etl.derive.days", "derive_days"),
    "run_etl": ("clickstream.etl.run", "run_etl"),
}


def __getattr__(name: str) -> Any:
    """The public entry point `name`, imported from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _HOMES[name]
    return getattr(import_module(module), attribute)
