"""Transform a batch of lake files in DuckDB: SQL over a typed input relation.

The SQL (`sql/transform.sql`, `sql/useragent.sql`, `sql/outputs.sql`) does the work: split
lines, parse JSON against the event contract, validate, map legacy names, flatten, parse user
agents, flag bots, hash payloads and rank repeats of an event_id. Python only moves whole
files in and CSV files out, never loops over rows, so the same SQL could run elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from clickstream.etl.extract import FetchedFile
from clickstream.etl.sqlfiles import named, script

SQL_PACKAGE = "clickstream.etl.sql"

# Column order of `loaded_events`, which `load` copies into clickstream_events.
EVENT_COLUMNS = (
    "event_id",
    "event_timestamp",
    "event_name",
    "user_id",
    "user_login_state",
    "identity_source",
    "client_id",
    "session_id",
    "is_first_visit",
    "context_product_id",
    "context_product_name",
    "context_product_category",
    "context_product_brand",
    "context_product_price",
    "context_product_discount_price",
    "context_product_url_path",
    "page_url",
    "referrer",
    "received_at",
    "client_timestamp",
    "context_product_quantity",
    "order_id",
    "order_number",
    "order_total",
    "order_currency",
    "order_item_count",
    "user_agent",
    "client_ip",
    "device_type",
    "browser",
    "os",
    "is_bot",
    "properties",
    "request_id",
    "ingest_node",
    "source_file",
    "etl_run_id",
)
ID_COLUMNS = ("event_id", "event_timestamp", "source_file", "payload_hash")
QUARANTINE_COLUMNS = ("run_id", "source_file", "line_number", "reason", "raw", "kind", "event_id")


@dataclass(frozen=True)
class FileLedger:
    """One file's counts; `received = loaded + duplicates + conflicts + rejected`."""

    key: str
    size: int
    received: int
    loaded: int
    duplicates: int
    conflicts: int
    rejected: int
    late: int


def connect(threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB in UTC with the user-agent macros loaded."""
    con = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(script(SQL_PACKAGE, "useragent.sql"))
    return con


class BatchTransform:
    """One batch of files inside a DuckDB connection, from raw text to outcome per line."""

    def __init__(self, con: duckdb.DuckDBPyConnection, files: list[FetchedFile]) -> None:
        self.con = con
        self.files = files
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_files (file_no INTEGER, source_file VARCHAR, "
            "hour_start TIMESTAMPTZ, content VARCHAR)"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE file_faults (file_no INTEGER, reason VARCHAR)")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE known (event_id UUID, same_payload BOOLEAN)"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE run_context (run_id BIGINT)")
        for number, fetched in enumerate(files):
            con.execute(
                "INSERT INTO raw_files VALUES (?, ?, ?, ?)",
                (number, fetched.key, fetched.hour_start, fetched.text),
            )
            if fetched.fault:
                con.execute("INSERT INTO file_faults VALUES (?, ?)", (number, fetched.fault))
        con.execute(script(SQL_PACKAGE, "transform.sql"))
        # The text is in `records` now; free the copies.
        con.execute("DROP TABLE raw_lines; DROP TABLE lake_records; DROP TABLE typed")
        con.execute("DROP TABLE checked; UPDATE raw_files SET content = ''")

    def write_candidate_ids(self, path: Path) -> None:
        """CSV of the first line of each valid event_id, for the warehouse's registry check."""
        self._copy_out(_statement("candidate_ids"), path)

    def set_known(self, path: Path, run_id: int) -> None:
        """Read which candidates the warehouse already held, then decide every line's outcome."""
        if path.stat().st_size:
            self.con.execute(
                "INSERT INTO known SELECT * FROM read_csv(?, header = false, auto_detect = false, "
                "delim = ',', quote = '\"', columns = {'event_id': 'UUID', 'same_payload': 'BOOLEAN'})",
                (str(path),),
            )
        self.con.execute("INSERT INTO run_context VALUES (?)", (run_id,))
        self.con.execute(_statement("final"))

    def write_loaded_events(self, path: Path) -> None:
        """CSV of the rows to insert, in `EVENT_COLUMNS` order."""
        self._copy_out(_statement("loaded_events"), path)

    def write_quarantined(self, path: Path) -> None:
        """CSV of rejected and conflicting lines, in `QUARANTINE_COLUMNS` order."""
        self._copy_out(_statement("quarantined"), path)

    def file_ledgers(self) -> list[FileLedger]:
        """Counts per file, in batch order."""
        rows = {row[0]: row[1:] for row in self.con.execute(_statement("file_ledger")).fetchall()}
        ledgers = []
        for number, fetched in enumerate(self.files):
            received, loaded, dups, conflicts, rejected, late = rows.get(number, (0,) * 6)
            ledgers.append(
                FileLedger(
                    fetched.key, fetched.size, received, loaded, dups, conflicts, rejected, late
                )
            )
        return ledgers

    def rejected_by_reason(self) -> dict[str, int]:
        """How many lines were rejected for each reason."""
        return {
            str(reason): int(count)
            for reason, count in self.con.execute(_statement("rejected_by_reason")).fetchall()
        }

    def loaded_days(self) -> list[date]:
        """The UTC days of the rows to insert."""
        return [row[0] for row in self.con.execute(_statement("loaded_days")).fetchall()]

    def _copy_out(self, query: str, path: Path) -> None:
        self.con.execute(f"COPY ({query}) TO '{_quoted_path(path)}' (FORMAT csv, HEADER false)")


def _statement(name: str) -> str:
    return named(SQL_PACKAGE, "outputs.sql")[name]


def _quoted_path(path: Path) -> str:
    # COPY TO takes no parameters; the path is ours (a temporary folder), quotes doubled anyway.
    return str(path).replace("'", "''")
