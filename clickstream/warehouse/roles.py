"""Least-privilege roles, one per part (docs/architecture.md, the AWS design rows 16 and 19).

- `clickstream_etl` owns and writes the warehouse (it must own the partitioned table to add
  daily partitions); migrations run as this role.
- `clickstream_dashboard` may connect to the warehouse and read it, nothing else.
- `clickstream_shop` owns the shop database and may not connect to the warehouse.
- `clickstream_ingest` cannot log in at all: the ingest API has no database.
- `clickstream_shop_reader` may connect to the shop database and read its `orders`, nothing
  else: the dashboard compares them with the purchase events (`reconciliation.py`).

`ensure_roles` needs a connection with CREATEROLE (the embedded superuser, or a DBA's); where
the warehouse URL already is the ETL role, roles are the DBA's business and nothing runs.
Each database admits only its own roles: PUBLIC loses CONNECT on the warehouse (`ensure_roles`)
and on the shop database (`ensure_shop_database`, `restrict_shop_database`), on the embedded
server and on an external one alike.
"""

from __future__ import annotations

from typing import Final

import psycopg
from psycopg import errors, sql

ETL_ROLE: Final = "clickstream_etl"
DASHBOARD_ROLE: Final = "clickstream_dashboard"
SHOP_ROLE: Final = "clickstream_shop"
INGEST_ROLE: Final = "clickstream_ingest"
SHOP_READER_ROLE: Final = "clickstream_shop_reader"
# The only shop tables the reader may read (never `users`, `sessions` or keys).
SHOP_READER_TABLES: Final = ("orders",)
_LOGIN_ROLES = (ETL_ROLE, DASHBOARD_ROLE, SHOP_ROLE)

CAN_MANAGE_ROLES_SQL = "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
ROLE_EXISTS_SQL = "SELECT 1 FROM pg_roles WHERE rolname = %s"
OWNS_DATABASE_SQL = """
SELECT r.rolsuper OR pg_has_role(d.datdba, 'MEMBER')
FROM pg_database d, pg_roles r
WHERE d.datname = current_database() AND r.rolname = current_user
"""
# Tables, partitions, views and sequences not owned by a column, in schema public.
FOREIGN_OWNED_SQL = """
SELECT c.relname, c.relkind
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND pg_get_userbyid(c.relowner) <> %s
  AND NOT (c.relkind = 'S' AND EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
ORDER BY c.relkind <> 'p', c.relname
"""


def can_manage_roles(conn: psycopg.Connection) -> bool:
    """Whether the connected user may create roles."""
    row = conn.execute(CAN_MANAGE_ROLES_SQL).fetchone()
    return bool(row and row[0])


def role_exists(conn: psycopg.Connection, role: str) -> bool:
    """Whether `role` exists on the server."""
    return conn.execute(ROLE_EXISTS_SQL, (role,)).fetchone() is not None


def can_become(conn: psycopg.Connection, role: str) -> bool:
    """Whether the connected user may `SET ROLE` to `role` (it exists and we are a member)."""
    if not role_exists(conn, role):
        return False
    row = conn.execute("SELECT pg_has_role(%s, 'MEMBER')", (role,)).fetchone()
    return bool(row and row[0])


def _create_role(conn: psycopg.Connection, role: str, login: bool) -> None:
    if role_exists(conn, role):
        return
    statement = sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
        sql.Identifier(role)
    )
    try:
        with conn.transaction():
            conn.execute(statement)
    except (errors.DuplicateObject, errors.UniqueViolation):
        pass  # another database on this server created it at the same moment


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the four roles and give the connected warehouse database to the ETL role."""
    for role in _LOGIN_ROLES:
        _create_role(conn, role, login=True)
    _create_role(conn, INGEST_ROLE, login=False)
    etl, dashboard = sql.Identifier(ETL_ROLE), sql.Identifier(DASHBOARD_ROLE)
    database = sql.Identifier(_current_database(conn))
    statements = [
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, etl),
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database),
        sql.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(database, etl),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, dashboard),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC").format(),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(etl),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(dashboard),
    ]
    for statement in statements:
        conn.execute(statement)
    for name, kind in conn.execute(FOREIGN_OWNED_SQL, (ETL_ROLE,)).fetchall():
        keyword = "SEQUENCE" if kind == "S" else "TABLE"
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(sql.SQL(keyword), sql.Identifier(name), etl)
        )
    conn.execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT ON TABLES TO {}"
        ).format(etl, dashboard)
    )
    conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(dashboard))


def ensure_shop_database(conn: psycopg.Connection) -> None:
    """Give the connected (shop) database to the shop role; nobody else may connect."""
    _create_role(conn, SHOP_ROLE, login=True)
    database = sql.Identifier(_current_database(conn))
    shop = sql.Identifier(SHOP_ROLE)
    conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, shop))
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(database, shop))
    conn.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(shop))
    _create_role(conn, SHOP_READER_ROLE, login=True)
    grant_shop_reader(conn)


def grant_shop_reader(conn: psycopg.Connection) -> None:
    """Let the shop reader connect to the connected (shop) database and read its orders.

    The orders table exists once the shop has migrated (its own migration grants the same);
    nothing happens where the server has no reader role.
    """
    if not role_exists(conn, SHOP_READER_ROLE):
        return
    database = sql.Identifier(_current_database(conn))
    reader = sql.Identifier(SHOP_READER_ROLE)
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, reader))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(reader))
    for table in SHOP_READER_TABLES:
        found = conn.execute("SELECT to_regclass(%s)", (f"public.{table}",)).fetchone()
        if found and found[0] is not None:
            conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), reader))


def restrict_shop_database(conn: psycopg.Connection) -> bool:
    """Let only the shop role and the connected user connect to the connected (shop) database.

    Needs the database's owner or a superuser; returns False, changing nothing, otherwise.
    """
    row = conn.execute(OWNS_DATABASE_SQL).fetchone()
    if not (row and row[0]):
        return False
    database = sql.Identifier(_current_database(conn))
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    grantees: list[sql.Composable] = [sql.SQL("CURRENT_USER")]
    if role_exists(conn, SHOP_ROLE):
        grantees.append(sql.Identifier(SHOP_ROLE))
    if role_exists(conn, SHOP_READER_ROLE):
        grantees.append(sql.Identifier(SHOP_READER_ROLE))
    conn.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            database, sql.SQL(", ").join(grantees)
        )
    )
    return True


def _current_database(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])
