"""`up` derives every address from the ports in use and keeps the ones the user set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clickstream.runtime.configuration import PlatformSettings
from clickstream.runtime.urls import part_addresses, platform_urls
from clickstream.settings import load


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in list(os.environ):
        if name.startswith("CLICKSTREAM_"):
            monkeypatch.delenv(name)


def test_a_moved_shop_port_moves_the_shop_url_issuer_cors_and_jwks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLICKSTREAM_SHOP_PORT", "28000")
    monkeypatch.setenv("CLICKSTREAM_INGEST_PORT", "28080")
    settings = load(PlatformSettings)
    urls = platform_urls(settings)
    variables = part_addresses(settings, urls)

    assert variables["shop"] == {
        "CLICKSTREAM_SHOP_PUBLIC_URL": "http://127.0.0.1:28000",
        "CLICKSTREAM_TRACKER_INGEST_URL": "http://127.0.0.1:28080/clickstream",
    }
    assert variables["ingest"] == {
        "CLICKSTREAM_INGEST_JWT_ISSUER": "http://127.0.0.1:28000",
        "CLICKSTREAM_INGEST_JWT_AUDIENCE": "clickstream",
        "CLICKSTREAM_INGEST_CORS_ORIGINS": "http://127.0.0.1:28000",
        "CLICKSTREAM_INGEST_JWKS_URL": "http://127.0.0.1:28000/.well-known/jwks.json",
    }
    assert variables["scheduler"] == {
        "CLICKSTREAM_ALARM_INGEST_METRICS_URLS": "http://127.0.0.1:28080/metrics"
    }


def test_urls_the_user_set_are_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKSTREAM_SHOP_PORT", "28000")
    monkeypatch.setenv("CLICKSTREAM_SHOP_PUBLIC_URL", "https://shop.example/")
    monkeypatch.setenv("CLICKSTREAM_TRACKER_INGEST_URL", "https://collect.example/clickstream")
    monkeypatch.setenv("CLICKSTREAM_INGEST_CORS_ORIGINS", "https://shop.example,https://m.example")
    monkeypatch.setenv("CLICKSTREAM_INGEST_JWKS_FILE", "/etc/clickstream/jwks.json")
    settings = load(PlatformSettings)
    variables = part_addresses(settings, platform_urls(settings))

    assert variables["shop"]["CLICKSTREAM_SHOP_PUBLIC_URL"] == "https://shop.example"
    assert variables["shop"]["CLICKSTREAM_TRACKER_INGEST_URL"] == (
        "https://collect.example/clickstream"
    )
    assert variables["ingest"]["CLICKSTREAM_INGEST_JWT_ISSUER"] == "https://shop.example"
    assert variables["ingest"]["CLICKSTREAM_INGEST_CORS_ORIGINS"] == (
        "https://shop.example,https://m.example"
    )
    assert "CLICKSTREAM_INGEST_JWKS_URL" not in variables["ingest"]  # the file is used
