"""This run's committed rows, kept beside the warehouse so the derive need not read them back.

Each batch writes the columns the derive needs of the rows it loads (a Parquet file, written
by the transform worker). Once the batch commits, the run keeps the file. A day that held no
events before the run's first batch touched it (`fresh`) is then derived from these files
alone; any other day also reads its older events out of PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from clickstream.warehouse import schema

# The columns of `clickstream_events` the derive reads, in this order everywhere, then each
# event's lines (`items`, JSON): from the batch's own rows, or from `event_items` for stored
# events.
ITEMS_COLUMN = "items"
DERIVE_COLUMNS = (*schema.DERIVE_COLUMNS, ITEMS_COLUMN)
# Days (of `days`) without any stored event; uses the event_timestamp index, one probe a day.
EMPTY_DAYS = """
SELECT d FROM unnest(%s::date[]) AS d
WHERE NOT EXISTS (
    SELECT 1 FROM clickstream_events
    WHERE event_timestamp >= (d::timestamp AT TIME ZONE 'UTC')
      AND event_timestamp < ((d + 1)::timestamp AT TIME ZONE 'UTC'))
"""


@dataclass
class RunRows:
    """The run's committed rows for the derive: Parquet files and the days they alone fill."""

    run_id: int
    files: list[Path] = field(default_factory=list)
    fresh: set[date] = field(default_factory=set)
    checked: set[date] = field(default_factory=set)
    days_of: dict[Path, set[date]] = field(default_factory=dict)

    def check_days(self, conn: psycopg.Connection, days: list[date]) -> None:
        """Before a batch's rows go in: note which of its days hold no events yet.

        Only a day's first batch in the run asks; rows of later batches are this run's own.
        Asked outside the batch's transaction: the ETL lock keeps every other writer out.
        """
        new = [day for day in days if day not in self.checked]
        if not new:
            return
        self.fresh.update(row[0] for row in conn.execute(EMPTY_DAYS, (new,)))
        self.checked.update(new)

    def keep(self, path: Path | None, days: list[date]) -> None:
        """Keep a committed batch's derive rows, which fall on `days`."""
        if path is not None:
            self.files.append(path)
            self.days_of[path] = set(days)

    def swap(self, old: Path, new: Path, days: list[date]) -> None:
        """Keep `new` (a batch's settled rows, on `days`) in the place of `old`."""
        if old in self.days_of:
            self.files[self.files.index(old)] = new
            del self.days_of[old]
            self.days_of[new] = set(days)

    def snapshot(self) -> RunRows:
        """A copy that later `keep`s and `swap`s leave as it is (for another thread)."""
        return RunRows(
            self.run_id,
            list(self.files),
            set(self.fresh),
            set(self.checked),
            {path: set(days) for path, days in self.days_of.items()},
        )

    def files_for(self, day: date) -> list[Path]:
        """The kept files holding rows of `day` (a day reads only those, not the whole run)."""
        return [path for path in self.files if day in self.days_of.get(path, ())]
