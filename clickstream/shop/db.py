"""The shop database: engine, sessions and Alembic migrations run from the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlalchemy_url(url: str) -> str:
    """A libpq URL (`postgresql://…`) as SQLAlchemy's psycopg 3 URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if "=" in url:  # a libpq key=value string
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
        host, port = parts.pop("host", "127.0.0.1"), parts.pop("port", "5432")
        user, dbname = parts.pop("user", "postgres"), parts.pop("dbname", "postgres")
        password = parts.pop("password", None)
        auth = f"{user}:{password}" if password else str(user)
        return f"postgresql+psycopg://{auth}@{host}:{port}/{dbname}"
    raise ValueError("the shop database URL must be a PostgreSQL URL")


def create_shop_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine on the shop database."""
    return create_engine(
        sqlalchemy_url(url), pool_size=pool_size, max_overflow=10, pool_pre_ping=True
    )


def session_factory(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate_shop(engine: Engine) -> None:
    """Bring the shop database to the newest Alembic revision; a no-op when it is there."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
