"""`clickstream users add|list|remove|reset` on a real warehouse: argon2 hashes, roles and
sites stored, clear refusals, a reset that voids links and prints a new one."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner, Result

from clickstream.cli.main import cli
from clickstream.dashboard.signin.accounts import find_user, password_matches


def _run(url: str, *args: str, given: str | None = None) -> Result:
    env = {
        "CLICKSTREAM_WAREHOUSE_URL": url,
        "CLICKSTREAM_DASHBOARD_PUBLIC_URL": "https://d.example",
    }
    return CliRunner().invoke(cli, ["users", *args], env=env, input=given)


def test_users_are_added_listed_reset_and_removed(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process for speed: keep the command from reconfiguring this process's logging, which
    # later tests capture.
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *_a, **_k: None)
    added = _run(
        warehouse_url,
        "add",
        "Ann@Example.com",
        "--role",
        "viewer",
        "--sites",
        "shop,blog",
        "--password-stdin",
        given="first-password-1\n",
    )
    assert added.exit_code == 0, added.output
    assert "added ann@example.com (viewer, shop, blog)" in added.output
    with psycopg.connect(warehouse_url) as conn:
        ann = find_user(conn, "ann@example.com")
    assert ann is not None and ann.sites == ("shop", "blog")
    assert ann.password_hash is not None and ann.password_hash.startswith("$argon2id$")
    assert password_matches(ann, "first-password-1")

    again = _run(warehouse_url, "add", "ann@example.com", "--no-password")
    assert again.exit_code == 2 and "already exists" in again.output
    weak = _run(warehouse_url, "add", "bob", "--password-stdin", given="short\n")
    assert weak.exit_code == 2 and "password: Use at least 10 characters" in weak.output
    bad_role = _run(warehouse_url, "add", "bob", "--role", "owner", "--no-password")
    assert bad_role.exit_code == 2 and "owner" in bad_role.output

    admin = _run(warehouse_url, "add", "root", "--role", "admin", "--no-password", "--link")
    assert admin.exit_code == 0
    assert "https://d.example/auth/link/" in admin.output
    listed = _run(warehouse_url, "list")
    assert listed.output.splitlines() == [
        "ann@example.com\tviewer\tshop, blog\tpassword",
        "root\tadmin\tall sites\tlink/sso",
    ]

    reset = _run(warehouse_url, "reset", "ann@example.com", "--no-password", "--link")
    assert reset.exit_code == 0 and "signed out everywhere" in reset.output
    with psycopg.connect(warehouse_url) as conn:
        ann_now = find_user(conn, "ann@example.com")
        links = conn.execute("SELECT count(*) FROM dashboard_sign_in_links").fetchone()
    assert ann_now is not None and ann_now.password_hash is None
    assert ann_now.sessions_since > ann.sessions_since
    assert links == (2,)  # root's and ann's new one

    assert _run(warehouse_url, "remove", "ann@example.com").exit_code == 0
    gone = _run(warehouse_url, "remove", "ann@example.com")
    assert gone.exit_code == 1 and "no account named" in gone.output
    assert _run(warehouse_url, "list").output.splitlines() == ["root\tadmin\tall sites\tlink/sso"]
