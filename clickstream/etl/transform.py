"""Transform a batch of lake files in DuckDB: SQL over a typed input relation.

The SQL (`sql/transform.sql`, `sql/useragent.sql`, `sql/outputs.sql`) does the work: split
lines, parse JSON against the event contract, validate, map legacy names, flatten, parse user
agents, flag bots, hash payloads and rank repeats of an event_id. Python only moves whole
files in and query results out (as files or Arrow batches), never loops over rows, so the same
SQL could run elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from clickstream.etl.derive.run_rows import DERIVE_COLUMNS
from clickstream.etl.extract import FetchedFile
from clickstream.etl.sqlfiles import named, script
from clickstream.events.columns import input_contract
from clickstream.warehouse import schema

SQL_PACKAGE = "clickstream.etl.sql"

# Column order of `loaded_events`, which `load` copies into clickstream_events.
EVENT_COLUMNS = schema.EVENT_COLUMNS
# The event contract as DuckDB reads it: every scalar as text (typed and checked in SQL), so a
# line of the wrong type is rejected with a reason instead of failing the read. Generated from
# the lake record's definition (`events/columns.py`).
CONTRACT = input_contract(text="VARCHAR", json="JSON")


def contract_json() -> str:
    """The contract as a `json_transform` structure."""
    return json.dumps(CONTRACT)


def contract_columns() -> str:
    """The contract as a `read_ndjson(columns = ...)` struct literal."""

    def sql_type(value: str | dict[str, str]) -> str:
        if isinstance(value, str):
            return value
        return "STRUCT(" + ", ".join(f'"{k}" {v}' for k, v in value.items()) + ")"

    return "{" + ", ".join(f"'{k}': '{sql_type(v)}'" for k, v in CONTRACT.items()) + "}"


ID_COLUMNS = schema.ID_COLUMNS
READ_KNOWN = (
    "INSERT INTO known SELECT * FROM read_csv(?, header = false, auto_detect = false, "
    "delim = ',', quote = '\"', columns = {'event_id': 'UUID', 'same_payload': 'BOOLEAN'})"
)
QUARANTINE_COLUMNS = schema.QUARANTINE_COLUMNS


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
    # Nothing depends on row order (lines are keyed by number or by row id); this lets DuckDB
    # stream.
    con.execute("SET preserve_insertion_order = false")
    con.execute(script(SQL_PACKAGE, "useragent.sql"))
    return con


class DirectReadFailed(RuntimeError):
    """DuckDB could not read a batch's files directly; the line-by-line path must."""


class BatchTransform:
    """One batch of files inside a DuckDB connection, from raw text to outcome per line.

    With `paths`, DuckDB reads the gzip NDJSON files itself (fast; any bad line fails the
    read with `DirectReadFailed`). Otherwise `files` carry their text and lines are split and
    parsed one by one, so that bad lines can be quarantined with their number.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: list[FetchedFile],
        paths: list[str] | None = None,
    ) -> None:
        self.con = con
        self.files = files
        self.direct = paths is not None
        # The batch's folder, and in it the derive's columns of the rows to insert (Parquet).
        self.directory: Path | None = None
        self.derive_rows: Path | None = None
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_files (file_no INTEGER, source_file VARCHAR, "
            "hour_start TIMESTAMPTZ, content VARCHAR, path VARCHAR)"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE file_faults (file_no INTEGER, reason VARCHAR)")
        con.execute("CREATE OR REPLACE TEMP TABLE known (event_id UUID, same_payload BOOLEAN)")
        con.execute("CREATE OR REPLACE TEMP TABLE run_context (run_id BIGINT)")
        for number, fetched in enumerate(files):
            con.execute(
                "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?)",
                (
                    number,
                    fetched.key,
                    fetched.hour_start,
                    fetched.text,
                    paths[number] if paths else None,
                ),
            )
            if fetched.fault:
                con.execute("INSERT INTO file_faults VALUES (?, ?)", (number, fetched.fault))
        if paths is None:
            con.execute(script(SQL_PACKAGE, "lines.sql").replace("$CONTRACT", contract_json()))
            con.execute(script(SQL_PACKAGE, "transform.sql"))
            return
        con.execute(_direct_view(paths))
        try:
            con.execute(script(SQL_PACKAGE, "transform.sql"))
        except duckdb.Error as exc:
            raise DirectReadFailed(str(exc)) from exc
        # Rejected lines need their text and number: only the line path has them.
        rejected = self._count("SELECT count(*) FROM records WHERE reason IS NOT NULL")
        if rejected:
            raise DirectReadFailed(f"{rejected} lines break the contract")

    def has_conflicts(self) -> bool:
        """Whether any line conflicts with a stored or earlier version of its event."""
        return bool(self._count("SELECT count(*) FROM final WHERE outcome = 'conflict'"))

    def prepare_outputs(self, directory: Path, run_id: int) -> None:
        """Decide the rows to insert and write the derive's file, assuming the warehouse holds
        none of the batch's ids.

        That is the usual case, so the worker thread does it while PostgreSQL loads the
        previous batch; `set_known` redoes the outcomes when the warehouse held some ids.
        """
        self.directory = directory
        self.derive_rows = directory / "derive.parquet"
        self.con.execute("DELETE FROM known")
        self._decide(run_id)
        self._write_rows()

    @property
    def prepared(self) -> bool:
        """Whether `prepare_outputs` has decided this batch's rows."""
        return self.directory is not None

    def candidate_ids(self) -> str:
        """The query of the first line of each event_id, in `ID_COLUMNS` order."""
        return _statement("candidate_ids")

    def rows_by_day(self) -> list[tuple[date, str]]:
        """Each UTC day of the rows to insert with the query of its rows, in `EVENT_COLUMNS`
        order (each day goes to its own partition)."""
        return [
            (day, _statement("loaded_events").format(day=f"DATE '{day}'"))
            for day in self.loaded_days()
        ]

    def set_known(self, path: Path, run_id: int) -> None:
        """Read which candidates the warehouse already held, then decide every line's outcome."""
        if not path.stat().st_size:
            return
        self.con.execute(READ_KNOWN, (str(path),))
        self._decide(run_id)
        if self.derive_rows is not None:
            # A new name: a derive computed ahead from the old file must not pass for current.
            self.derive_rows = self.derive_rows.with_name("derive-known.parquet")
            self._write_rows()

    def _write_rows(self) -> None:
        """The rows to insert (`loaded`, streamed into PostgreSQL by `load`), and the derive's
        columns of them as Parquet."""
        assert self.derive_rows is not None
        self.con.execute(_statement("loaded"))
        columns = ", ".join(DERIVE_COLUMNS)
        self.con.execute(
            f"COPY (SELECT {columns} FROM loaded) TO '{_quoted_path(self.derive_rows)}' "
            "(FORMAT parquet)"
        )

    def _decide(self, run_id: int) -> None:
        self.con.execute("DELETE FROM run_context")
        self.con.execute("INSERT INTO run_context VALUES (?)", (run_id,))
        self.con.execute(_statement("final"))

    def write_quarantined(self, path: Path, conflicts: bool) -> None:
        """CSV of rejected (and, when there are any, conflicting) lines for the quarantine."""
        query = _statement("quarantined_rejected")
        if conflicts:
            query += " UNION ALL " + _statement("quarantined_conflicts")
        self._copy_out(query, path)

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

    def _count(self, query: str) -> int:
        # fetchall, not fetchone: a result left unfinished blocks the next streamed query.
        return int(self.con.execute(query).fetchall()[0][0])

    def _copy_out(self, query: str, path: Path) -> None:
        self.con.execute(f"COPY ({query}) TO '{_quoted_path(path)}' (FORMAT csv, HEADER false)")


def _statement(name: str) -> str:
    return named(SQL_PACKAGE, "outputs.sql")[name]


def _quoted_path(path: Path) -> str:
    # COPY TO takes no parameters; the path is ours (a temporary folder), quotes doubled anyway.
    return str(path).replace("'", "''")


def _direct_view(paths: list[str]) -> str:
    # Paths are the lake root plus keys matching the event-key allow-list; quotes doubled.
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"""
CREATE OR REPLACE TEMP VIEW lake_records AS
SELECT f.file_no, f.source_file, f.hour_start,
    -- Lines read directly carry no number, and need none: a line is keyed by its row in
    -- `records`. (Numbering them, even in no order, cost a serial pass over the whole batch.)
    -- Repeats of an event_id are ranked by receipt time, file and request first; lines tied
    -- on those came in one request with one payload (a different one is a conflict, redone
    -- line by line), so they are the same row.
    NULL::INTEGER AS line_number,
    NULL::VARCHAR AS line, true AS is_json, true AS is_object, j.* EXCLUDE (filename)
FROM read_ndjson([{listed}], columns = {contract_columns()}, filename = true,
    compression = 'gzip', maximum_object_size = 16777216) AS j
JOIN raw_files AS f ON f.path = j.filename
"""
