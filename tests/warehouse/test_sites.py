"""`clickstream sites add|list|remove|snippet` on a real warehouse: ids and origins checked,
write keys stored only as hashes, the snippet's SRI hash that of the served file."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner, Result

from clickstream.cli.main import cli
from clickstream.ingest.http.tracker_file import tracker_file
from clickstream.warehouse.sites import key_digest, list_sites, make_site, save_site

pytestmark = pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)


@pytest.fixture(autouse=True)
def _keep_logging_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    # The commands run in this process: their logging set-up (structlog, cached loggers) would
    # outlive the test and hide other tests' log lines from `structlog.testing.capture_logs`.
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *a, **k: None)


def _run(warehouse_url: str, *args: str) -> Result:
    env = {"CLICKSTREAM_WAREHOUSE_URL": warehouse_url, "CLICKSTREAM_LOG_LEVEL": "warning"}
    return CliRunner().invoke(cli, ["sites", *args], env=env)


def test_sites_are_added_listed_and_removed_with_only_a_hash_of_the_write_key(
    warehouse_url: str,
) -> None:
    added = _run(
        warehouse_url,
        "add",
        "blog",
        "--name",
        "The blog",
        "--origin",
        "https://blog.example/",
        "--origin",
        "http://localhost:3000",
        "--generate-write-key",
    )
    assert added.exit_code == 0, added.output
    key = added.output.split("write key (shown once): ")[1].strip()

    listed = _run(warehouse_url, "list")
    assert "blog\tThe blog\tyes\thttp://localhost:3000,https://blog.example" in listed.output
    with psycopg.connect(warehouse_url) as conn:
        (site,) = list_sites(conn)
        stored = conn.execute("SELECT sites::text FROM sites").fetchone()
    assert site.write_key_matches(key) and not site.write_key_matches(key + "x")
    assert stored is not None and key not in stored[0] and key_digest(key) in stored[0]

    assert _run(warehouse_url, "remove", "blog").exit_code == 0
    again = _run(warehouse_url, "remove", "blog")
    assert again.exit_code == 1 and "'blog' is not registered" in again.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["add", "my blog"], "site id 'my blog'"),
        (["add", "blog", "--origin", "blog.example"], "'blog.example' is not an origin"),
        (["add", "blog", "--write-key", "k", "--generate-write-key"], "not both"),
    ],
)
def test_a_bad_site_exits_2_naming_what_is_wrong(
    warehouse_url: str, args: list[str], needle: str
) -> None:
    result = _run(warehouse_url, *args)
    assert result.exit_code == 2 and needle in result.output


def test_registering_the_shop_again_keeps_the_owners_changes_and_adds_its_origin(
    warehouse_url: str,
) -> None:
    from clickstream.runtime.supervisor import register_shop_site

    register_shop_site(warehouse_url, "http://127.0.0.1:8000/")
    with psycopg.connect(warehouse_url) as conn:
        save_site(conn, make_site("default", "Our shop", ["https://shop.example"]))
    register_shop_site(warehouse_url, "http://127.0.0.1:8001")
    with psycopg.connect(warehouse_url) as conn:
        (site,) = list_sites(conn)
    assert site.name == "Our shop"
    assert site.origins == ("http://127.0.0.1:8001", "https://shop.example")


def test_the_pinned_snippet_carries_the_served_files_integrity(warehouse_url: str) -> None:
    result = _run(
        warehouse_url, "snippet", "blog", "--ingest-url", "https://in.example/", "--pinned"
    )
    tracker = tracker_file()
    assert result.exit_code == 0
    assert f'src="https://in.example{tracker.versioned_path}"' in result.output
    assert f'integrity="{tracker.integrity}"' in result.output
    assert 'data-site="blog"' in result.output
    assert result.output.startswith("<script>window.clickstream=")
