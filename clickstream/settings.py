"""The base of every part's settings: `CLICKSTREAM_*` variables, then `.env`, then defaults.

This is the only module that reads the environment. Each part declares its own settings class
on top of `CommonSettings` in its `configuration.py` (the CLI and the runtime compose them);
`load` resolves one and turns a bad value into `SettingsInvalid`, whose message names the
variable and what it accepts.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CLICKSTREAM_"


class SettingsInvalid(Exception):
    """A `CLICKSTREAM_*` value could not be accepted; the message says which and why."""


class CommonSettings(BaseSettings):
    """Settings every part shares: where data lives and which servers to use."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        Path(".clickstream"),
        description="Folder for the embedded PostgreSQL, the local lake, media and run state.",
    )
    warehouse_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the warehouse database; unset means the embedded server.",
    )
    shop_db_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the shop database; unset means the embedded server.",
    )
    lake_url: str | None = Field(
        None,
        description="Where raw events are written: a folder or an fsspec URL such as "
        "`s3://bucket/prefix`; unset means `<data_dir>/lake`.",
    )
    media_url: str | None = Field(
        None,
        description="Where product media live, separate from the lake; unset means "
        "`<data_dir>/media`.",
    )
    node_id: str = Field(
        default_factory=socket.gethostname,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
        description="Name of this node in lake object names and logs (letters, digits, `_.-`).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level of log records written (debug, info, warning, error)."
    )
    embedded_pg_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="TCP port of the embedded PostgreSQL on 127.0.0.1; 0 keeps the port of its "
        "last start on this data directory (a free one the first time or when taken).",
    )

    pseudonymise_key: SecretStr | None = Field(
        None,
        description="Secret key for keyed pseudonyms: when set, the ingest API stores "
        "HMAC-SHA256(key, token subject) as `user_id` instead of the shop's user id.",
    )

    @property
    def pseudonym_key(self) -> bytes | None:
        """The pseudonymisation key as bytes, or None when pseudonyms are off."""
        if self.pseudonymise_key is None:
            return None
        return self.pseudonymise_key.get_secret_value().encode()

    @property
    def lake_location(self) -> str:
        """The lake URL, defaulting to a folder under the data directory."""
        return self.lake_url or str(self.data_dir / "lake")

    @property
    def media_location(self) -> str:
        """The media store URL, defaulting to a folder under the data directory."""
        return self.media_url or str(self.data_dir / "media")


S = TypeVar("S", bound=CommonSettings)


def default_of(cls: type[CommonSettings], name: str) -> Any:
    """The default of setting `name` of `cls`, for the dataclasses a part runs on (so that a
    default is written once, in its settings field)."""
    return cls.model_fields[name].get_default(call_default_factory=True)


def load(cls: type[S], **overrides: Any) -> S:
    """Resolve `cls` from the environment; raise `SettingsInvalid` naming each bad variable."""
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise SettingsInvalid(_describe(cls, exc)) from None


def _describe(cls: type[CommonSettings], exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        info = cls.model_fields.get(field)
        accepts = f" It is: {info.description}" if info and info.description else ""
        got = error.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) and field != "?" else ""
        if info is not None and info.annotation is not None and "Secret" in str(info.annotation):
            shown = ""
        lines.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}{shown}.{accepts}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def variables(cls: type[CommonSettings]) -> dict[str, str]:
    """Each setting of `cls` as its variable name and help text, for docs and `--help`."""
    return {
        f"{ENV_PREFIX}{name.upper()}": info.description or ""
        for name, info in cls.model_fields.items()
    }
