"""Dashboard accounts in the warehouse: a login, a role, the sites it may see, a password.

Managed from the command line (`clickstream users ...`) over the warehouse's owner URL; the
dashboard itself only reads them. Passwords are argon2id, through the user pool's hasher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import psycopg
from psycopg.rows import dict_row

from clickstream.auth.passwords import (
    DUMMY_HASH,
    check_password_rules,
    hash_password,
    verify_password,
)

Role = Literal["viewer", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "admin")
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,253}$")
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

COLUMNS = "user_id, login, role, sites, password_hash, sessions_since"
BY_ID_SQL = f"SELECT {COLUMNS} FROM dashboard_users WHERE user_id = %s"
BY_LOGIN_SQL = f"SELECT {COLUMNS} FROM dashboard_users WHERE login = %s"
ALL_SQL = f"SELECT {COLUMNS} FROM dashboard_users ORDER BY login"
INSERT_SQL = f"""
INSERT INTO dashboard_users (login, role, sites, password_hash) VALUES (%s, %s, %s, %s)
RETURNING {COLUMNS}
"""
DELETE_SQL = "DELETE FROM dashboard_users WHERE login = %s"
# A reset voids every session signed before it and every link not yet used.
RESET_SQL = f"""
UPDATE dashboard_users SET password_hash = %s, sessions_since = clock_timestamp()
WHERE login = %s RETURNING {COLUMNS}
"""
VOID_LINKS_SQL = "DELETE FROM dashboard_sign_in_links WHERE user_id = %s AND used_at IS NULL"
HAS_ADMIN_SQL = "SELECT EXISTS (SELECT 1 FROM dashboard_users WHERE role = 'admin')"


class AccountInvalid(ValueError):
    """A login, role, site list or password was refused; the message says which and why."""


class AccountExists(AccountInvalid):
    """Another account already has this login."""


class AccountNotFound(LookupError):
    """No account has this login."""


@dataclass(frozen=True)
class DashboardUser:
    """One account as the dashboard sees it."""

    user_id: int
    login: str
    role: Role
    sites: tuple[str, ...] | None  # None: every site
    password_hash: str | None
    sessions_since: datetime

    @property
    def is_admin(self) -> bool:
        """Whether the account may reach admin-only pages."""
        return self.role == "admin"

    def can_see_site(self, site_id: str) -> bool:
        """Whether the account may see the numbers of `site_id`."""
        return self.sites is None or site_id in self.sites

    def visible_sites(self, site_ids: Iterable[str]) -> list[str]:
        """Those of `site_ids` the account may see, in their order."""
        return [site for site in site_ids if self.can_see_site(site)]

    def describe_sites(self) -> str:
        """`all sites`, or the site ids joined by commas."""
        return "all sites" if self.sites is None else ", ".join(self.sites) or "no site"


def from_row(row: dict[str, object]) -> DashboardUser:
    """A `DashboardUser` from a row of `COLUMNS`."""
    sites = row["sites"]
    return DashboardUser(
        user_id=int(row["user_id"]),  # type: ignore[call-overload]
        login=str(row["login"]),
        role="admin" if row["role"] == "admin" else "viewer",
        sites=None if sites is None else tuple(sites),  # type: ignore[arg-type]
        password_hash=None if row["password_hash"] is None else str(row["password_hash"]),
        sessions_since=row["sessions_since"],  # type: ignore[arg-type]
    )


def normalise_login(login: str) -> str:
    """The stored form of a login (trimmed, lower-case); raises `AccountInvalid` when unusable."""
    cleaned = login.strip().lower()
    if not _LOGIN.match(cleaned):
        raise AccountInvalid(
            f"login {login!r}: use 1 to 254 letters, digits and . _ @ + - "
            "(an e-mail address works), starting with a letter or digit"
        )
    return cleaned


def parse_role(role: str) -> Role:
    """`role` as a `Role`; raises `AccountInvalid` naming the choices."""
    if role not in ROLES:
        raise AccountInvalid(f"role {role!r}: choose one of {', '.join(ROLES)}")
    return "admin" if role == "admin" else "viewer"


def parse_sites(text: str | None) -> tuple[str, ...] | None:
    """`a,b` as ('a', 'b'); None, `*` or `all` as every site. Raises `AccountInvalid`."""
    if text is None or text.strip() in ("*", "all"):
        return None
    sites = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not sites:
        raise AccountInvalid("sites: name at least one site id, or `all`")
    for site in sites:
        if not _SITE.match(site):
            raise AccountInvalid(f"site id {site!r}: use letters, digits, . _ - (at most 64)")
    return sites


def add_user(
    conn: psycopg.Connection,
    login: str,
    role: str = "viewer",
    sites: Sequence[str] | None = None,
    password: str | None = None,
) -> DashboardUser:
    """Create an account; with no password it signs in by link or OIDC only."""
    login = normalise_login(login)
    checked_role = parse_role(role)
    password_hash = _hashed(password, login)
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            cur.execute(INSERT_SQL, (login, checked_role, _site_list(sites), password_hash))
            row = cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise AccountExists(f"an account named {login!r} already exists") from None
    assert row is not None
    return from_row(row)


def list_users(conn: psycopg.Connection) -> list[DashboardUser]:
    """Every account, by login."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [from_row(row) for row in cur.execute(ALL_SQL).fetchall()]


def find_user(conn: psycopg.Connection, login: str) -> DashboardUser | None:
    """The account named `login`, if any (an unusable login finds none)."""
    try:
        login = normalise_login(login)
    except AccountInvalid:
        return None
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(BY_LOGIN_SQL, (login,)).fetchone()
    return None if row is None else from_row(row)


def remove_user(conn: psycopg.Connection, login: str) -> None:
    """Delete the account (its links go with it; its sessions stop at the next request)."""
    with conn.transaction():
        if conn.execute(DELETE_SQL, (normalise_login(login),)).rowcount == 0:
            raise AccountNotFound(f"no account named {login!r}")


def reset_user(conn: psycopg.Connection, login: str, password: str | None) -> DashboardUser:
    """Set a new password (or none), sign the account out everywhere, void its unused links."""
    login = normalise_login(login)
    password_hash = _hashed(password, login)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(RESET_SQL, (password_hash, login)).fetchone()
        if row is None:
            raise AccountNotFound(f"no account named {login!r}")
        cur.execute(VOID_LINKS_SQL, (row["user_id"],))
    return from_row(row)


def has_admin(conn: psycopg.Connection) -> bool:
    """Whether any admin account exists."""
    row = conn.execute(HAS_ADMIN_SQL).fetchone()
    return bool(row and row[0])


def password_matches(user: DashboardUser | None, password: str) -> bool:
    """Whether `password` is `user`'s; the same hashing work when there is no such user."""
    if user is None or user.password_hash is None:
        verify_password(DUMMY_HASH, password)  # answers as slowly as a real check
        return False
    return verify_password(user.password_hash, password)


def _hashed(password: str | None, login: str) -> str | None:
    if password is None:
        return None
    try:
        check_password_rules(password, login)
    except ValueError as exc:
        raise AccountInvalid(f"password: {exc}") from None
    return hash_password(password)


def _site_list(sites: Sequence[str] | None) -> list[str] | None:
    if sites is None:
        return None
    return list(parse_sites(",".join(sites)) or ())
