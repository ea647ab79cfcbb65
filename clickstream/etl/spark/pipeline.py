"""One run on Spark: plan -> read and transform -> known ids -> stage -> move -> derive.

The same steps, outcomes and ledger as the DuckDB engine (`etl/pipeline.py`), cut for a
cluster: the run's pending files (the manifest decides which, as there) are read by Spark in
one job, each line is typed, checked and hashed, repeats of an event_id are ranked in one
window pass (by the DuckDB engine's batch first, so the same line of a repeat is kept), and
the outputs are COPYed partition by partition into run-scoped staging tables. One PostgreSQL
transaction then moves every staged row into the warehouse with the manifest, the ledger and
the dirty days: a run is loaded whole or not at all. The derive is the warehouse-side one
both engines share (`etl/derive/`), over the days the run touched, except the sessions of a
day the run alone fills: Spark cuts those from the run's rows in one window pass
(`sql/sessions.sql`), and the shared roll-ups read them (`derive.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime

import psycopg
import pyarrow
import structlog
from psycopg import sql
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql.types import (
    BooleanType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from pyspark.storagelevel import StorageLevel

from clickstream.etl.channels import load_rules
from clickstream.etl.configuration import EtlOptions
from clickstream.etl.plan import plan_batches
from clickstream.etl.result import RunResult
from clickstream.etl.spark import derive, gunzip, lookups, stage
from clickstream.etl.spark.transform import statements
from clickstream.lake.keys import hour_of_key
from clickstream.lake.local import LocalLake
from clickstream.lake.store import LakeObject, LakeStore
from clickstream.warehouse import schema
from clickstream.warehouse.dirty_days import mark_days
from clickstream.warehouse.ledger import add_batch
from clickstream.warehouse.manifest import FileLedger, record_files
from clickstream.warehouse.partitions import ensure_partitions

log = structlog.get_logger("clickstream.etl")
Step = Callable[[str], None]

# The object key at the end of the path Spark read a line from.
KEY_PATTERN = r"(events/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/[^/]+)$"
# A file's text as (line_number, line, fault) rows: its lines numbered from 1, then its fault
# (if any) as line 0.
LINES = (
    "concat(transform(split(value, '\\n', -1), (line, i) -> named_struct('line_number', i + 1, "
    "'line', line, 'fault', CAST(NULL AS STRING))), "
    "filter(array(named_struct('line_number', 0, 'line', '', 'fault', fault)), "
    "f -> f.fault IS NOT NULL))"
)
FILES_SCHEMA = StructType(
    [
        StructField("file_no", IntegerType(), False),
        StructField("batch_no", IntegerType(), False),
        StructField("source_file", StringType(), False),
        StructField("hour_start", TimestampType(), False),
    ]
)
KNOWN_SCHEMA = StructType(
    [StructField("event_id", StringType(), False), StructField("same_payload", BooleanType())]
)
KNOWN_IDS = sql.SQL(
    "SELECT s.event_id, (e.payload_hash IS NULL OR e.payload_hash = s.payload_hash::uuid) "
    "FROM {} s JOIN event_ids e ON e.event_id = s.event_id::uuid"
)
MOVE_IDS = sql.SQL(
    "INSERT INTO event_ids ({columns}) SELECT {casts} FROM {stage} s "
    "WHERE NOT EXISTS (SELECT 1 FROM event_ids e WHERE e.event_id = s.event_id::uuid)"
)
MOVE_EVENTS = sql.SQL("INSERT INTO clickstream_events ({columns}) SELECT {casts} FROM {stage}")
MOVE_ITEMS = sql.SQL("INSERT INTO event_items ({columns}) SELECT {casts} FROM {stage}")
# A conflict keeps both versions: the lake line as `raw`, the stored row as `kept_version`.
MOVE_QUARANTINE = sql.SQL(
    "INSERT INTO etl_quarantine (run_id, source_file, line_number, reason, raw, kind, "
    "event_id, kept_version) "
    "SELECT {run_id}, q.source_file, q.line_number::integer, q.reason, q.raw, q.kind, "
    "q.event_id::uuid, CASE WHEN q.kind = 'conflict' THEN ("
    "SELECT to_jsonb(e) FROM event_ids i JOIN clickstream_events e "
    "ON e.event_id = i.event_id AND e.event_timestamp = i.event_timestamp "
    "WHERE i.event_id = q.event_id::uuid) END "
    "FROM {stage} q ORDER BY q.source_file, q.line_number::integer"
)


# A join's small side with at most this many rows is broadcast (sent whole to every task)
# rather than shuffled with the run's lines: a lookup's answers (about 300 bytes a row) or the
# ids the warehouse already holds.
BROADCAST_ROWS = 200_000


def broadcast_if_small(frame: DataFrame, rows: int) -> DataFrame:
    """`frame` marked for broadcast joins if it has at most `BROADCAST_ROWS` rows."""
    return fn.broadcast(frame) if rows <= BROADCAST_ROWS else frame


class StagedRowsMissing(RuntimeError):
    """A staging table holds another number of rows than the run's outputs: nothing moved."""


class SparkPipeline:
    """Run `run_id` on Spark; `step` is told each named step as it passes (as in `Pipeline`)."""

    def __init__(
        self,
        warehouse_url: str,
        lake: LakeStore,
        run_id: int,
        options: EtlOptions,
        step: Step,
        spark: SparkSession | None = None,
    ) -> None:
        self.warehouse_url = warehouse_url
        self.lake = lake
        self.run_id = run_id
        self.options = options
        self.step = step
        self.spark = spark
        # Read and checked before anything loads: a bad rules file fails the run, saying why.
        self.channel_rules = load_rules(options.channel_rules)
        self.tables = {
            name: stage.table_name(run_id, name)
            for name in ("ids", "events", "quarantine", "items")
        }
        self.cached: list[DataFrame] = []  # persisted by this run, unpersisted at its end
        # The sessions Spark cut from the run's rows, and the days they are whole for.
        self.sessions: pyarrow.Table | None = None
        self.fresh: set[date] = set()

    def run(self) -> RunResult:
        """Load every pending file in one move, then derive the days they touched."""
        from clickstream.etl.spark.session import session

        spark = self.spark or session(self.options.spark_master)
        result = RunResult(run_id=self.run_id, status="running")
        with psycopg.connect(self.warehouse_url, autocommit=True, connect_timeout=10) as conn:
            stage.drop_stale(conn)
            groups = plan_batches(
                conn, self.lake, self.options.batch_files, self.options.batch_bytes
            )
            if groups:
                try:
                    result = self._load(spark, conn, groups, result)
                finally:
                    for frame in self.cached:
                        frame.unpersist()
                    self._drop_staging(conn)
            with conn.transaction():
                days = derive.derive_run(conn, self.sessions, self.fresh, self.options.work_dir)
                self.step("derived")
        log.info("etl_spark_run", run_id=self.run_id, loaded=result.loaded, days=len(days))
        return replace(result, days_derived=len(days))

    def _load(
        self,
        spark: SparkSession,
        conn: psycopg.Connection,
        groups: list[list[LakeObject]],
        total: RunResult,
    ) -> RunResult:
        objects = [obj for group in groups for obj in group]
        text = statements(self.run_id)
        self._lines(spark, groups).createOrReplaceTempView("lake_lines")
        self.step("extracted")
        spark.sql(text["lake_records"]).createOrReplaceTempView("lake_records")
        # Parsed once: the distinct item lists and the checked lines both read it.
        typed = spark.sql(text["typed"]).persist(StorageLevel.MEMORY_AND_DISK)
        self.cached.append(typed)
        typed.createOrReplaceTempView("typed")
        self._lookup(
            spark, text["distinct_items"], lookups.items(), lookups.ITEM_SCHEMA
        ).createOrReplaceTempView("item_checks")
        for name in ("with_items", "checked"):
            spark.sql(text[name]).createOrReplaceTempView(name)
        records = spark.sql(text["records"]).persist(StorageLevel.MEMORY_AND_DISK)
        self.cached.append(records)
        records.createOrReplaceTempView("records")

        for name, columns in (
            ("ids", stage.ID_SOURCES),
            ("events", schema.EVENT_COLUMNS),
            ("quarantine", stage.QUARANTINE_SOURCES),
            ("items", schema.ITEM_COLUMNS),
        ):
            stage.create(conn, self.tables[name], columns)
        candidates = self._stage(spark.sql(text["candidate_ids"]), "ids", stage.ID_SOURCES)
        typed.unpersist()  # `records` holds every line now
        known = conn.execute(KNOWN_IDS.format(sql.Identifier(self.tables["ids"]))).fetchall()
        # Usually few (none on a fresh lake): sent to every task, so the run's lines are not
        # shuffled for the join. Spark cannot size a frame made from a Python list itself.
        broadcast_if_small(
            spark.createDataFrame(known, KNOWN_SCHEMA), len(known)
        ).createOrReplaceTempView("known")
        final = spark.sql(text["final"]).persist(StorageLevel.MEMORY_AND_DISK)
        self.cached.append(final)
        final.createOrReplaceTempView("final")
        self._lookup(
            spark, text["distinct_agents"], lookups.agents(), lookups.AGENT_SCHEMA
        ).createOrReplaceTempView("agents")
        landings = lookups.landings(self.channel_rules)
        self._lookup(
            spark, text["distinct_landings"], landings, lookups.LANDING_SCHEMA
        ).createOrReplaceTempView("landings")
        spark.sql(text["loaded_rows"]).createOrReplaceTempView("loaded_rows")
        spark.sql(text["session_events"]).createOrReplaceTempView("session_events")
        self.step("transformed")

        # Five independent jobs at once: a cluster runs them side by side, and each one's
        # scheduling and Python start-up overlap the others' work.
        with ThreadPoolExecutor(max_workers=5, thread_name_prefix="etl-spark") as jobs:
            summary = jobs.submit(spark.sql(text["summary"]).collect)
            sessions = jobs.submit(self._sessions, spark.sql(text["sessions"]))
            loaded_rows = jobs.submit(
                self._stage, spark.sql(text["loaded"]), "events", schema.EVENT_COLUMNS
            )
            quarantined_rows = jobs.submit(
                self._stage, spark.sql(text["quarantined"]), "quarantine", stage.QUARANTINE_SOURCES
            )
            item_rows = jobs.submit(
                self._stage, spark.sql(text["items"]), "items", schema.ITEM_COLUMNS
            )
            summary_rows = summary.result()
            files, reasons, days = self._summarise(summary_rows, objects)
            loaded, quarantined = loaded_rows.result(), quarantined_rows.result()
            lines = item_rows.result()
            self.sessions = sessions.result()
        self.fresh = derive.fresh_days(conn, days)
        self._check(conn, "events", loaded, sum(f.loaded for f in files))
        self._check(conn, "items", lines, sum(int(row["item_lines"]) for row in summary_rows))
        self._check(conn, "quarantine", quarantined, sum(f.rejected + f.conflicts for f in files))
        self._check(conn, "ids", candidates, candidates)
        self.step("mid_load")
        result = self._move(conn, files, reasons, days, total)
        self.step("committed")
        return result

    def _drop_staging(self, conn: psycopg.Connection) -> None:
        """Drop this run's staging tables (already gone after a move); a warehouse that went
        away leaves them to the next run, and the error that ended this one is the one told."""
        try:
            with conn.transaction():
                stage.drop(conn, list(self.tables.values()))
        except psycopg.Error as exc:
            log.warning("etl_spark_staging_left", run_id=self.run_id, error=str(exc)[:200])

    def _lines(self, spark: SparkSession, groups: list[list[LakeObject]]) -> DataFrame:
        """`lake_lines`: every line of the run's files, numbered from 1 within its file, and
        each file's fault (line 0)."""
        rows: list[tuple[int, int, str, datetime]] = []
        for batch_no, group in enumerate(groups):
            for obj in group:
                rows.append((len(rows), batch_no, obj.key, hour_of_key(obj.key)))
        files = spark.createDataFrame(rows, FILES_SCHEMA)
        paths = [self._path(row[2]) for row in rows]
        # Whole files: a gzip stream is read by one task anyway, and line numbers need it.
        # The task gunzips the bytes as the DuckDB engine does (`gunzip.py`): a torn object
        # keeps its whole lines, and its fault is one more line (0, no text) to reject.
        content = (
            spark.read.format("binaryFile")
            .load(paths)
            .select(fn.regexp_extract("path", KEY_PATTERN, 1).alias("source_file"), "content")
            .mapInArrow(gunzip.gunzip, gunzip.SCHEMA)
        )
        return (
            content.join(fn.broadcast(files), "source_file")
            .select("file_no", "batch_no", "source_file", "hour_start", fn.inline(fn.expr(LINES)))
            .where("fault IS NOT NULL OR length(line) > 8 OR trim(line) <> ''")
        )

    def _path(self, key: str) -> str:
        """Where Spark reads object `key`: a file URI for a local lake; s3a:// for s3://."""
        if isinstance(self.lake, LocalLake):
            return (self.lake.root / key).absolute().as_uri()
        url = self.lake.url.rstrip("/")
        if url.startswith("s3://"):
            url = "s3a://" + url.removeprefix("s3://")
        return f"{url}/{key}"

    def _lookup(
        self, spark: SparkSession, distinct: str, function: lookups.ArrowMap, ddl: str
    ) -> DataFrame:
        """`function` (the DuckDB engine's rules, `lookups.py`) over the distinct values the
        statement `distinct` selects: computed once and kept (every query that joins it
        reuses the answers), and sent whole to every task when there are few."""
        answers = (
            spark.sql(distinct).mapInArrow(function, ddl).persist(StorageLevel.MEMORY_AND_DISK)
        )
        self.cached.append(answers)
        return broadcast_if_small(answers, answers.count())

    def _stage(self, frame: DataFrame, name: str, columns: tuple[str, ...]) -> int:
        """COPY `frame` partition by partition into the staging table `name`; how many rows."""
        copier = stage.partition_copier(self.warehouse_url, self.tables[name], columns)
        counts = frame.mapInArrow(copier, "rows LONG").agg(fn.sum("rows")).collect()
        return int(counts[0][0] or 0)

    def _sessions(self, frame: DataFrame) -> pyarrow.Table | None:
        """Spark's sessions of the run's rows, on the driver (about one row per eight events);
        None, and the shared derive cuts them, if they lack a column of `sessions`."""
        table = frame.toArrow()
        try:
            derive.check_columns(table)
        except derive.SessionColumnsDiffer as exc:
            log.warning("etl_spark_sessions_unused", run_id=self.run_id, error=str(exc))
            return None
        self.step("sessions_cut")
        return table

    def _check(self, conn: psycopg.Connection, name: str, staged: int, expected: int) -> None:
        held = stage.staged_count(conn, self.tables[name])
        if not held == staged == expected:
            raise StagedRowsMissing(
                f"{self.tables[name]} holds {held} rows; partitions staged {staged}, "
                f"the run has {expected}"
            )

    def _summarise(
        self, rows: list[Row], objects: list[LakeObject]
    ) -> tuple[list[FileLedger], dict[str, int], list[date]]:
        """The file ledgers (in plan order), rejections by reason and the loaded days."""
        per_file: dict[int, Counter[str]] = {}
        reasons: Counter[str] = Counter()
        days: set[date] = set()
        for row in rows:
            counts = per_file.setdefault(row["file_no"], Counter())
            for name in ("received", "loaded", "duplicates", "conflicts", "rejected", "late"):
                counts[name] += int(row[name])
            if row["reason"] is not None:
                reasons[row["reason"]] += int(row["rejected"])
            if row["day"] is not None:
                days.add(row["day"])
        ledgers = []
        for number, obj in enumerate(objects):
            c = per_file.get(number, Counter())
            ledgers.append(
                FileLedger(
                    obj.key,
                    obj.size,
                    c["received"],
                    c["loaded"],
                    c["duplicates"],
                    c["conflicts"],
                    c["rejected"],
                    c["late"],
                )
            )
        return ledgers, dict(reasons), sorted(days)

    def _move(
        self,
        conn: psycopg.Connection,
        files: list[FileLedger],
        reasons: dict[str, int],
        days: list[date],
        total: RunResult,
    ) -> RunResult:
        """Every staged row into the warehouse, with manifest, ledger and dirty days: one
        transaction, which also drops the staging tables."""
        ids, events, quarantine, items = (
            sql.Identifier(self.tables[n]) for n in ("ids", "events", "quarantine", "items")
        )
        with conn.transaction():
            ensure_partitions(conn, days)
            conn.execute(
                MOVE_IDS.format(
                    columns=sql.SQL(", ").join(sql.Identifier(c) for c in schema.ID_COLUMNS),
                    casts=stage.cast_list(schema.EVENT_IDS, schema.ID_COLUMNS),
                    stage=ids,
                )
            )
            conn.execute(
                MOVE_EVENTS.format(
                    columns=sql.SQL(", ").join(sql.Identifier(c) for c in schema.EVENT_COLUMNS),
                    casts=stage.cast_list(schema.CLICKSTREAM_EVENTS, schema.EVENT_COLUMNS),
                    stage=events,
                )
            )
            conn.execute(
                MOVE_ITEMS.format(
                    columns=sql.SQL(", ").join(sql.Identifier(c) for c in schema.ITEM_COLUMNS),
                    casts=stage.cast_list(schema.EVENT_ITEMS, schema.ITEM_COLUMNS),
                    stage=items,
                )
            )
            conn.execute(MOVE_QUARANTINE.format(run_id=sql.Literal(self.run_id), stage=quarantine))
            result = total.plus(files, reasons)
            record_files(conn, self.run_id, files)
            add_batch(conn, self.run_id, files, result.rejected_by_reason)
            mark_days(conn, days)
            stage.drop(conn, list(self.tables.values()))
            self.step("before_commit")
        return result
