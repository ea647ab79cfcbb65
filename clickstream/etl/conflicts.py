"""Conflicts of a batch read directly: their lake lines, without redoing the batch.

A conflict is quarantined with its lake line and line number, which DuckDB's direct read does
not keep. Rather than send the whole batch down the line-by-line path, only the files holding
conflicts are read again, only their lines that mention a conflicting id are parsed (by the
same SQL, in a scratch connection), and each conflict is paired with the line of the same
file, id, payload hash, receipt time and request. Anything this cannot settle exactly (lines
tied on every key a direct read ranks by, or a conflict without its line) raises
`LinesNeeded`, and the pipeline redoes the batch line by line as before.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow

from clickstream.etl.extract import FetchedFile, decompress
from clickstream.etl.transform import connect, count, read_batch, statement
from clickstream.lake.keys import hour_of_key


class LinesNeeded(RuntimeError):
    """A batch read directly must be redone line by line to quarantine its conflicts."""


def locate_conflict_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Create `conflict_lines(row_key, line_number, line)` in `con` for every conflicting line
    of the batch read directly into it, or raise `LinesNeeded`."""
    if count(con, statement("ambiguous_repeats")):
        raise LinesNeeded("repeats of an event_id differ only by their line number")
    con.execute(f"CREATE OR REPLACE TEMP TABLE conflict_keys AS {statement('conflict_keys')}")
    keys = con.execute(
        "SELECT DISTINCT source_file, path, event_id::VARCHAR FROM conflict_keys"
    ).fetchall()
    wanted: dict[tuple[str, str], set[str]] = {}
    for source_file, path, event_id in keys:
        wanted.setdefault((source_file, path), set()).add(event_id)
    con.register("mentions", _parse_mentions(wanted))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE conflict_candidates AS SELECT * FROM mentions")
    finally:
        con.unregister("mentions")
    con.execute(statement("matched_conflict_lines"))
    missing = count(con, "SELECT count(*) FROM conflict_keys") - count(
        con, "SELECT count(*) FROM conflict_lines"
    )
    if missing:
        raise LinesNeeded(f"{missing} conflicting lines not found in their lake files")


def _parse_mentions(wanted: dict[tuple[str, str], set[str]]) -> pyarrow.Table:
    """The valid lines (parsed as the line path parses them) that mention a wanted id, of the
    wanted files; other lines are blanked, which keeps every line's number.

    Python looks at the lines of these few files only, to spare DuckDB parsing all of them.
    """
    files = []
    for (source_file, path), ids in wanted.items():
        data, _ = decompress(Path(path).read_bytes())
        text = data.decode("utf-8", errors="replace")
        kept = [line if any(i in line.lower() for i in ids) else "" for line in text.split("\n")]
        files.append(FetchedFile(source_file, len(data), hour_of_key(source_file), "\n".join(kept)))
    scratch = connect(1, "256MB")
    try:
        read_batch(scratch, files)
        return scratch.sql(statement("parsed_lines")).to_arrow_table()
    finally:
        scratch.close()
