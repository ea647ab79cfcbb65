"""Versioned, forward-only migrations recorded in `schema_migrations`.

Each `migrations/NNNN_name.sql` runs once, in its own transaction together with its record.
An advisory lock serialises concurrent `db migrate` calls; an applied file whose text changed is
refused rather than silently skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from clickstream.warehouse.roles import ETL_ROLE, can_become, can_manage_roles, ensure_roles

MIGRATION_LOCK_KEY = 0x636C6B01  # "clk" + 1: one key for all migrators of this warehouse
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationChanged(RuntimeError):
    """An applied migration's file no longer matches what was applied."""


@dataclass(frozen=True)
class Migration:
    """One migration file: its version, name, SQL text and checksum."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL text."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    """The migration files shipped with the package, in version order."""
    folder = resources.files("clickstream.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(url: str) -> list[Migration]:
    """Apply every migration not yet applied to the database at `url`; return those applied.

    Connected with CREATEROLE, it first makes the per-part roles and then migrates as the ETL
    role, so that the ETL owns what it writes and the dashboard role can read it.
    """
    applied_now: list[Migration] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            if can_manage_roles(conn):
                ensure_roles(conn)
            if can_become(conn, ETL_ROLE):
                conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(ETL_ROLE)))
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version    integer     PRIMARY KEY,
                       name       text        NOT NULL,
                       checksum   text        NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done: dict[int, str] = dict(
                conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            )
            for migration in available_migrations():
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChanged(
                            f"migration {migration.version:04d}_{migration.name} was changed "
                            "after it was applied; add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration)
        finally:
            conn.execute("RESET ROLE")
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now
