"""The command line: help with examples, clear errors and exit code 2 for bad usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clickstream.runtime.configuration import PlatformSettings, all_variables

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["up"],
    ["ingest", "serve"],
    ["etl", "run"],
    ["etl", "schedule"],
    ["dashboard", "serve"],
    ["db", "migrate"],
    ["status"],
    ["ops", "iam-policy"],
    ["ops", "expire-lake"],
    ["ops", "erase"],
    ["users", "add"],
    ["users", "list"],
    ["users", "remove"],
    ["users", "reset"],
]


def clickstream(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    return subprocess.run(
        [sys.executable, "-m", "clickstream", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself_with_an_example(command: list[str]) -> None:
    result = clickstream(*command, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout


def test_help_lists_every_command_group_each_loaded_under_its_own_name() -> None:
    from clickstream.cli.main import GROUPS, _group

    for name in GROUPS:
        assert _group(name).name == name
    listed = clickstream("--help").stdout.split("Commands:")[1]
    assert [line.split()[0] for line in listed.strip().splitlines()] == sorted(
        [*GROUPS, "settings", "status", "up"]
    )


def test_etl_run_imports_no_other_command_group_nor_apprise() -> None:
    # The command groups are imported by name (`cli.main.LazyGroup`), Apprise on first use.
    probe = (
        "import sys; from clickstream.cli.main import cli; "
        "cli.get_command(None, 'etl'); import clickstream.ops.watch; "
        "print(sorted(m for m in sys.modules if m.startswith(('clickstream.cli.', 'apprise'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == [
        "['clickstream.cli.common',",
        "'clickstream.cli.etl_commands',",
        "'clickstream.cli.main']",
    ]


def test_unknown_subcommand_exits_2_with_a_message() -> None:
    result = clickstream("frobnicate")
    assert result.returncode == 2
    assert "No such command 'frobnicate'" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("CLICKSTREAM_INGEST_PORT", "eighty", "CLICKSTREAM_INGEST_PORT"),
        ("CLICKSTREAM_INGEST_PORT", "70000", "less than or equal to 65535"),
        ("CLICKSTREAM_LOG_LEVEL", "loud", "CLICKSTREAM_LOG_LEVEL"),
        ("CLICKSTREAM_NODE_ID", "../etc", "CLICKSTREAM_NODE_ID"),
    ],
)
def test_bad_setting_exits_2_naming_the_variable(variable: str, value: str, needle: str) -> None:
    result = clickstream("ingest", "serve", **{variable: value})
    assert result.returncode == 2
    assert needle in result.stderr
    assert "It is:" in result.stderr


def test_bad_schedule_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = clickstream(
        "etl",
        "schedule",
        CLICKSTREAM_ETL_SCHEDULE="every hour",
        CLICKSTREAM_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 2
    assert "CLICKSTREAM_ETL_SCHEDULE" in result.stderr
    assert "rate(1 hour)" in result.stderr


def test_secret_urls_never_show_in_repr_or_errors() -> None:
    secret = "postgresql://etl:hunter2@db.internal/warehouse"
    settings = PlatformSettings(warehouse_url=secret)
    assert "hunter2" not in repr(settings)
    result = clickstream(
        "ingest", "serve", CLICKSTREAM_WAREHOUSE_URL=secret, CLICKSTREAM_INGEST_PORT="x"
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in all_variables() if name not in docs]
    assert missing == []
