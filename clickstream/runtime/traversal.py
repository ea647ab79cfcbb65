"""Let one user pass through the folders above a path, and nobody else.

As root, the embedded PostgreSQL runs as its own system user, which must pass through every
folder above its data directory. A private folder on the way (a 0700 home) gets a POSIX ACL
entry giving that user alone the search bit (`setfacl -m u:clickstream_pg:x`, written here
without the `acl` tools); only where the file system has no ACLs does the folder get the
search bit for others (`o+x`), as before.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from pathlib import Path

_XATTR = "system.posix_acl_access"
_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_UNDEFINED_ID = 0xFFFFFFFF
_SEARCH = 1
_ENTRY = struct.Struct("<HHI")


def _entries(path: Path, mode: int) -> dict[tuple[int, int], int]:
    """The folder's access ACL as {(tag, id): permissions}, from its mode when it has none."""
    try:
        raw = os.getxattr(path, _XATTR)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        raw = b""
    if len(raw) >= 4 and struct.unpack_from("<I", raw)[0] == _VERSION:
        return {
            (tag, ident): perm
            for tag, perm, ident in (
                _ENTRY.unpack_from(raw, offset) for offset in range(4, len(raw), _ENTRY.size)
            )
        }
    return {
        (_USER_OBJ, _UNDEFINED_ID): (mode >> 6) & 7,
        (_GROUP_OBJ, _UNDEFINED_ID): (mode >> 3) & 7,
        (_OTHER, _UNDEFINED_ID): mode & 7,
    }


def _may_pass(entries: dict[tuple[int, int], int], mode: int, uid: int) -> bool:
    if mode & stat.S_IXOTH:
        return True
    named = entries.get((_USER, uid), 0)
    mask = entries.get((_MASK, _UNDEFINED_ID), 7)
    return bool(named & mask & _SEARCH)


def _grant(path: Path, entries: dict[tuple[int, int], int], uid: int) -> None:
    entries[(_USER, uid)] = entries.get((_USER, uid), 0) | _SEARCH
    # The mask bounds the owning group and named entries: it gains the search bit only.
    mask = entries.get((_MASK, _UNDEFINED_ID), entries[(_GROUP_OBJ, _UNDEFINED_ID)])
    entries[(_MASK, _UNDEFINED_ID)] = mask | _SEARCH
    raw = struct.pack("<I", _VERSION) + b"".join(
        _ENTRY.pack(tag, perm, ident) for (tag, ident), perm in sorted(entries.items())
    )
    os.setxattr(path, _XATTR, raw)


def allow_passage(path: Path, uid: int) -> None:
    """Make sure user `uid` may pass through every folder above `path` (search only)."""
    for parent in path.parents:
        info = parent.stat()
        if info.st_uid == uid:
            continue
        entries = _entries(parent, info.st_mode)
        if _may_pass(entries, info.st_mode, uid):
            continue
        try:
            _grant(parent, entries, uid)
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            parent.chmod(info.st_mode | stat.S_IXOTH)  # no ACLs on this file system
