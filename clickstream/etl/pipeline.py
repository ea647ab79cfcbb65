"""One run's batches, top to bottom: plan -> prepare -> claim ids -> write -> commit -> derive.

A worker thread reads and prepares the next batch in DuckDB (the direct read of a local lake,
or line by line) while the main thread writes the current one into PostgreSQL; two DuckDB
connections take turns. `Pipeline` owns both connections, the worker, the temporary folder
and the one decision between the direct read and the line-by-line path: a batch goes line by
line when DuckDB cannot read it directly (a line breaks the contract), when a conflict cannot
be set aside without line numbers, or when PostgreSQL refuses a value read directly.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import structlog

from clickstream.etl import agents
from clickstream.etl.batch import PreparedBatch
from clickstream.etl.channels import load_rules
from clickstream.etl.configuration import EtlOptions
from clickstream.etl.conflicts import LinesNeeded
from clickstream.etl.dedupe import claim_ids, known_ids, register_ids
from clickstream.etl.derive.compute import Precomputed, derived_types, precompute_days
from clickstream.etl.derive.days import derive_dirty_days
from clickstream.etl.derive.run_rows import RunRows
from clickstream.etl.extract import FetchedFile, direct_paths, fetch_all, unfetched
from clickstream.etl.load import write_batch
from clickstream.etl.outcomes import prepare, settle, write_derive_rows
from clickstream.etl.plan import plan_batches
from clickstream.etl.result import RunResult
from clickstream.etl.transform import DirectReadFailed, connect, read_batch
from clickstream.etl.workdir import make_workdir
from clickstream.lake.store import LakeObject, LakeStore
from clickstream.warehouse.goals import Goal, list_goals

log = structlog.get_logger("clickstream.etl")
Step = Callable[[str], None]


class Pipeline:
    """The batches of run `run_id`; `step` is told each named step as it passes."""

    def __init__(
        self, warehouse_url: str, lake: LakeStore, run_id: int, options: EtlOptions, step: Step
    ) -> None:
        self.warehouse_url = warehouse_url
        self.lake = lake
        self.run_id = run_id
        self.options = options
        self.step = step
        self.rows = RunRows(run_id)  # the committed batches' rows, for the derive
        self.prepared = RunRows(run_id)  # the rows as they will be if every batch commits
        self.ducks: list[duckdb.DuckDBPyConnection] = []
        # The run's days derived ahead: known as soon as the worker starts them (their files
        # follow one by one), and the worker's task that computes them.
        self.early: Future[Precomputed] | None = None
        self.early_task: Future[None] | None = None
        self.prepared_lock = threading.Lock()  # `prepared` is kept by the worker, swapped by main
        self.attempts = 0
        self.goals: tuple[Goal, ...] = ()  # the goal definitions, read as the run starts
        # Each batch's `id_file` as prepared (or redone), by batch number, kept by the worker
        # and swapped by main under `prepared_lock`; and those of the batches committed.
        self.id_files: dict[int, Path] = {}
        self.committed_ids: list[Path] = []
        # The worker leaves writing a batch's `derive_rows` to the main thread, which writes it
        # as it starts committing the batch (it would otherwise wait for the worker's next
        # batch): set once written, awaited by the days derived ahead.
        self.rows_written: dict[Path, threading.Event] = {}
        # The first derive ahead's DuckDB connection, made by the main thread while it waits
        # for the first batch (see `_make_spare`), taken by the worker (`spare_taken`).
        self.spare: Future[duckdb.DuckDBPyConnection] = Future()
        self.spare_taken = False
        # Read and checked before anything loads: a bad rules file fails the run, saying why.
        self.channel_rules = load_rules(options.channel_rules)

    def run(self) -> RunResult:
        """Load every pending file batch by batch, then derive the days they touched."""
        result = RunResult(run_id=self.run_id, status="running")
        agents.warm_up()
        with ExitStack() as stack:
            conn = stack.enter_context(
                psycopg.connect(self.warehouse_url, autocommit=True, connect_timeout=10)
            )
            self.workdir = make_workdir(self.options.work_dir)
            stack.callback(self._clean_up)
            self.worker = stack.enter_context(
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-transform")
            )
            stack.callback(self.worker.shutdown, wait=True, cancel_futures=True)
            # First on the way out: a run that stopped early wakes a derive ahead that waits
            # for rows it will never write (the worker is shut down next).
            stack.callback(self._stop_waiting)
            self._duck()  # the first batch's (and the derive's)

            groups = plan_batches(
                conn, self.lake, self.options.batch_files, self.options.batch_bytes
            )
            self.types = derived_types(conn)
            self.goals = tuple(list_goals(conn))
            upcoming = self._submit(groups, 0) if groups else None
            if len(groups) > 1:
                # The second batch's connection, `ducks[1]`, made while DuckDB reads the first
                # batch, which leaves Python free: the first batch used to wait for both
                # (each 0.07-0.1 s of Python: a DuckDB database, the user-agent functions, the
                # channel rules). A derive ahead makes its own only when the last batch is
                # submitted, after this; a run of one batch never needs a second.
                self._duck()
            if groups:
                self._make_spare()
            for number, group in enumerate(groups):
                assert upcoming is not None
                batch = upcoming.result()
                if number + 1 < len(groups):
                    upcoming = self._submit(groups, number + 1)
                result = self._commit(conn, batch, group, result)
            days = self._derive(conn)
        return replace(result, days_derived=len(days))

    # The worker's side: read and prepare a batch.

    def _submit(self, groups: list[list[LakeObject]], number: int) -> Future[PreparedBatch]:
        last = number + 1 == len(groups)
        # The last batch's derive rows are written by the worker: the days derived ahead,
        # which need them, come next in its queue.
        future = self.worker.submit(self._prepare, number, groups[number], not last)
        if last:
            # Right after the last batch, the worker (otherwise idle from then on) derives
            # the run's days from its rows while PostgreSQL still loads the last batches.
            self._derive_ahead()
        return future

    def _derive_ahead(self) -> None:
        """Derive the run's days in the worker from the rows as prepared (used only if exactly
        these rows commit); called again when a batch is settled after it was first asked."""
        if self.early_task is not None:
            self.early_task.cancel()
        self.attempts += 1
        workdir = self.workdir / f"early-{self.attempts}"
        self.early = Future()
        # A connection of its own: the other two may still serve the batches being loaded.
        self.early_task = self.worker.submit(self._precompute, workdir, self.early)

    def _precompute(self, workdir: Path, early: Future[Precomputed]) -> None:
        # The rows are read when the worker gets here, not when this was asked: the worker
        # runs in order, so the batches submitted before (the last one included) are prepared
        # by now. Read at submission, they lacked the last batch, and the days computed ahead
        # never matched the rows committed: the main thread derived them all over again.
        # `early` is answered once the days are known, before they are computed: the main
        # thread COPYs each derived table while the worker computes the next.
        try:
            with self.prepared_lock:
                rows = self.prepared.snapshot()
                waits = [self.rows_written[p] for p in rows.files if p in self.rows_written]
            for written in waits:  # the last batch's, written as its commit starts
                written.wait()
            duck = self._duck() if self.spare_taken else self.spare.result()
            self.spare_taken = True
            precompute_days(duck, rows, workdir, self.types, self.goals, early.set_result)
        except BaseException as exc:
            if not early.done():
                early.set_exception(exc)
            raise

    def _prepare(self, number: int, group: list[LakeObject], later: bool) -> PreparedBatch:
        batch = self._read_directly(number, group, later) or self._read_by_lines(
            number, group, later
        )
        with self.prepared_lock:
            if later:
                self.rows_written[batch.derive_rows] = threading.Event()
            self.prepared.keep(batch.derive_rows, batch.days)
            self._keep_id_file(batch)
        return batch

    def _read_directly(
        self, number: int, group: list[LakeObject], later: bool
    ) -> PreparedBatch | None:
        """The batch as DuckDB reads its files itself, or None where it cannot."""
        paths = direct_paths(self.lake, group)
        if paths is None:
            return None
        self.step("extracted")
        try:
            batch = self._transform(number, unfetched(group), paths, later)
        except (DirectReadFailed, LinesNeeded) as exc:
            log.info("etl_batch_by_lines", run_id=self.run_id, reason=str(exc)[:200])
            return None
        self.step("transformed")
        return batch

    def _read_by_lines(self, number: int, group: list[LakeObject], later: bool) -> PreparedBatch:
        """The batch fetched and split line by line: every line keeps its number and text.
        `later`: leave writing its `derive_rows` to the main thread (see `rows_written`)."""
        fetched = fetch_all(self.lake, group, self.options.fetch_workers)
        self.step("extracted")
        batch = self._transform(number, fetched, None, later)
        self.step("transformed")
        return batch

    def _transform(
        self, number: int, files: list[FetchedFile], paths: list[str] | None, later: bool
    ) -> PreparedBatch:
        con = self.ducks[number % 2]
        read_batch(con, files, paths)
        directory = Path(tempfile.mkdtemp(dir=self.workdir))
        with self.prepared_lock:
            # The worker prepares batches in order: every earlier batch has its file by now.
            earlier = [self.id_files[k] for k in range(number) if k in self.id_files]
        direct = paths is not None
        return prepare(
            con, number, files, directory, self.run_id, direct, earlier=earlier, later=later
        )

    def _keep_id_file(self, batch: PreparedBatch) -> None:
        if batch.id_file is not None:
            self.id_files[batch.number] = batch.id_file

    # The main thread's side: write a prepared batch in one transaction.

    def _commit(
        self,
        conn: psycopg.Connection,
        batch: PreparedBatch,
        group: list[LakeObject],
        total: RunResult,
    ) -> RunResult:
        self._write_derive_rows(batch)
        # Which days held no events yet; only asked before the day's first batch.
        self.rows.check_days(conn, batch.days)
        try:
            batch, result = self._write(conn, batch, total)
        except (LinesNeeded, psycopg.DataError) as exc:
            if not batch.direct:
                raise
            log.info("etl_batch_by_lines", run_id=self.run_id, reason=str(exc)[:200])
            redone = self._read_by_lines(batch.number, group, later=False)
            self._replace_prepared(batch, redone)
            self.rows.check_days(conn, redone.days)
            batch, result = self._write(conn, redone, total)
        self.rows.keep(batch.derive_rows, batch.days)
        if batch.id_file is not None:
            self.committed_ids.append(batch.id_file)
        self.step("committed")
        log.info("etl_batch_loaded", run_id=self.run_id, files=len(group), total=result.loaded)
        return result

    def _write(
        self, conn: psycopg.Connection, batch: PreparedBatch, total: RunResult
    ) -> tuple[PreparedBatch, RunResult]:
        committed = tuple(self.committed_ids)
        if batch.checked_against != committed:
            # An earlier batch was settled or redone after this one was prepared against its
            # ids: decide this one again against the ids actually registered.
            again = prepare(
                batch.con,
                batch.number,
                unfetched(list(batch.objects)),
                batch.directory,
                self.run_id,
                batch.direct,
                earlier=committed,
                suffix="-again",
            )
            self._replace_prepared(batch, again)
            batch = again
        with conn.transaction():
            if not claim_ids(conn, batch):
                known = batch.directory / "known.csv"
                known_ids(conn, batch, known)
                settled = settle(batch, known)
                register_ids(conn, settled)
                self._replace_prepared(batch, settled)
                batch = settled
            result = write_batch(conn, self.run_id, batch, total, self.step)
            self.step("before_commit")
        return batch, result

    def _write_derive_rows(self, batch: PreparedBatch) -> None:
        """Write the derive's rows of a batch the worker prepared, before anything can change
        the tables they come from (a redo, a settle or the batch after next)."""
        written = self.rows_written.get(batch.derive_rows)
        if written is not None and not written.is_set():
            write_derive_rows(batch)
            written.set()

    def _stop_waiting(self) -> None:
        for written in self.rows_written.values():
            written.set()
        self.spare.cancel()  # a derive ahead waiting for it fails instead (no-op once made)

    def _make_spare(self) -> None:
        """Make the first derive ahead's connection now, while the worker reads the first
        batch and this thread would only wait: the worker made it after preparing the last
        batch, 0.07-0.1 s of Python on the way to the days derived ahead, which the end of a
        run waits for (one run of the API set: 1.3 s from the last commit to the derive's end).
        Later attempts (a batch settled or redone after) make their own, in the worker."""
        try:
            duck = self._duck()
        except BaseException as exc:
            self.spare.set_exception(exc)
            raise
        self.spare.set_result(duck)

    def _replace_prepared(self, old: PreparedBatch, new: PreparedBatch) -> None:
        """The main thread redid a batch: its rows, not the old ones, are the run's."""
        with self.prepared_lock:
            self.prepared.swap(old.derive_rows, new.derive_rows, new.days)
            self._keep_id_file(new)
        if self.early is not None:
            # The rows derived ahead are not these any more: derive again, in the worker,
            # while this batch's rows go into PostgreSQL.
            self._derive_ahead()

    # After the last batch: the derive, in one transaction.

    def _derive(self, conn: psycopg.Connection) -> list[date]:
        with conn.transaction():
            # Known once the worker starts computing them; each day's tables are COPYed as
            # their files are written.
            ahead = self.early.result() if self.early is not None else None
            days = derive_dirty_days(conn, self.ducks[0], self.rows, self.workdir, ahead)
            if self.early_task is not None:
                self.early_task.result()  # an error deriving ahead fails the run, as it did
            self.step("derived")
        return days

    def _duck(self) -> duckdb.DuckDBPyConnection:
        duck = connect(
            self.options.duckdb_threads, self.options.duckdb_memory_limit, self.channel_rules
        )
        self.ducks.append(duck)
        return duck

    def _clean_up(self) -> None:
        for duck in self.ducks:
            duck.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
