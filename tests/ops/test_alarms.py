"""A failing ETL reaches a person exactly once, and once more when it is resolved."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
import pytest

from clickstream.etl.run import EtlRunFailed, run_etl
from clickstream.lake import open_lake
from clickstream.ops.alarms import Context, spool_backlog
from clickstream.ops.channels import AlertUrlInvalid, configured_channels
from clickstream.ops.configuration import OpsSettings
from clickstream.ops.incidents import open_alarms
from clickstream.ops.ingest_probe import IngestProbe, IngestSample
from clickstream.ops.watch import check
from tests.conftest import FAST_SHIPPING, ServerThread, free_port
from tests.ingest.conftest import Ingest, running_ingest


class Webhook:
    """A loopback webhook that records JSON bodies and can be switched off and on."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, str]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


def _settings(hook: Webhook, data_dir: Path) -> OpsSettings:
    return OpsSettings(
        alert_urls=hook.url, alert_retry_seconds=0, data_dir=data_dir, alarm_disk_free_percent=0
    )


def _break_the_warehouse(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE lake_manifest RENAME TO lake_manifest_away")


def _mend_the_warehouse(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE lake_manifest_away RENAME TO lake_manifest")


def test_failed_run_notifies_once_and_resolves_once_even_when_webhook_was_down(
    warehouse_url: str, lake_dir: Path, tmp_path: Path, webhook: Webhook
) -> None:
    settings = _settings(webhook, tmp_path)
    lake = open_lake(str(lake_dir))
    _break_the_warehouse(warehouse_url)
    with pytest.raises(EtlRunFailed):
        run_etl(warehouse_url, lake)

    # The webhook is down: the incident opens, the notification waits.
    first = check(warehouse_url, settings)
    assert [(t.alarm, t.kind) for t in first.transitions] == [("etl_run_failed", "opened")]
    assert (first.delivery.delivered, first.delivery.retrying) == (0, 1)

    webhook.start()
    check(warehouse_url, settings)
    check(warehouse_url, settings)  # a still-failing ETL opens nothing new
    assert len(webhook.received) == 1
    assert "ALARM etl_run_failed" in webhook.received[0]["title"]
    assert "lake_manifest" in webhook.received[0]["message"]
    with psycopg.connect(warehouse_url) as conn:
        assert [a for a, _ in open_alarms(conn)] == ["etl_run_failed"]

    _mend_the_warehouse(warehouse_url)
    assert run_etl(warehouse_url, lake).status == "succeeded"
    resolved = check(warehouse_url, settings)
    check(warehouse_url, settings)

    assert [(t.alarm, t.kind) for t in resolved.transitions] == [("etl_run_failed", "resolved")]
    assert len(webhook.received) == 2
    assert "RESOLVED etl_run_failed" in webhook.received[1]["title"]
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT kind, status, attempts FROM ops_notifications ORDER BY notification_id"
        ).fetchall()
        assert open_alarms(conn) == []
    assert rows == [("opened", "delivered", 2), ("resolved", "delivered", 1)]


def test_quarantine_and_disk_alarms_fire_past_their_thresholds(
    warehouse_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        run_id = conn.execute(
            "INSERT INTO etl_runs (trigger, status) VALUES ('t', 'failed') RETURNING run_id"
        ).fetchone()
        conn.execute(
            "INSERT INTO etl_quarantine (run_id, source_file, line_number, reason, raw) "
            "SELECT %s, 'f', g, 'bad', '' FROM generate_series(1, 3) g",
            run_id,
        )
    settings = OpsSettings(
        data_dir=tmp_path, alarm_quarantine_per_hour=2, alarm_disk_free_percent=100
    )

    result = check(warehouse_url, settings)

    assert {t.alarm for t in result.transitions} == {
        "etl_run_failed",
        "quarantine_growing",
        "disk_free_low",
    }


def test_nothing_loaded_fires_after_the_configured_hours(
    warehouse_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO etl_runs (trigger, status, started_at) "
            "VALUES ('t', 'succeeded', now() - interval '5 hours')"
        )
    quiet = check(
        warehouse_url,
        OpsSettings(data_dir=tmp_path, alarm_nothing_loaded_hours=6, alarm_disk_free_percent=0),
    )
    loud = check(
        warehouse_url,
        OpsSettings(data_dir=tmp_path, alarm_nothing_loaded_hours=4, alarm_disk_free_percent=0),
    )
    assert quiet.transitions == []
    assert [t.alarm for t in loud.transitions] == ["nothing_loaded"]


def test_unknown_alert_url_is_refused_without_echoing_secrets() -> None:
    settings = OpsSettings(alert_urls="nosuchscheme://user:topsecret@host/x")
    with pytest.raises(AlertUrlInvalid) as caught:
        configured_channels(settings)
    assert "CLICKSTREAM_ALERT_URLS" in str(caught.value)
    assert "topsecret" not in str(caught.value)


def test_channel_label_and_repr_hold_no_credentials() -> None:
    [channel] = configured_channels(OpsSettings(alert_urls="json://user:topsecret@127.0.0.1/h"))
    assert "topsecret" not in channel.label
    assert "topsecret" not in repr(channel)


def test_ingest_reject_rate_opens_and_resolves_between_scrapes(
    warehouse_url: str, ingest_server: ServerThread, tmp_path: Path
) -> None:
    settings = OpsSettings(
        data_dir=tmp_path,
        alarm_disk_free_percent=0,
        alarm_ingest_min_requests=5,
        alarm_ingest_reject_rate=0.2,
    )
    probe = IngestProbe([f"{ingest_server.url}/metrics"])
    collect = f"{ingest_server.url}/clickstream"

    first = check(warehouse_url, settings, probe)  # no earlier scrape: rates unknown
    for _ in range(8):
        httpx.post(collect, content=b"{broken", headers={"content-type": "application/json"})
    for _ in range(2):
        httpx.post(collect, json={"event_name": "page_view"})
    noisy = check(warehouse_url, settings, probe)
    for _ in range(20):
        httpx.post(collect, json={"event_name": "page_view"})
    calm = check(warehouse_url, settings, probe)

    assert first.transitions == []
    assert [(t.alarm, t.kind) for t in noisy.transitions] == [("ingest_reject_rate", "opened")]
    assert "80.0%" in noisy.transitions[0].summary
    assert [(t.alarm, t.kind) for t in calm.transitions] == [("ingest_reject_rate", "resolved")]


def test_unreachable_ingest_metrics_never_resolve_or_open_anything(
    warehouse_url: str, tmp_path: Path
) -> None:
    settings = OpsSettings(data_dir=tmp_path, alarm_disk_free_percent=0)
    probe = IngestProbe([f"http://127.0.0.1:{free_port()}/metrics"])
    assert check(warehouse_url, settings, probe).transitions == []
    assert check(warehouse_url, settings, probe).transitions == []


def test_spool_backlog_fires_on_bytes_or_lag() -> None:
    settings = OpsSettings(alarm_spool_bytes=1000, alarm_ship_lag_seconds=60)
    probe = IngestProbe([])
    probe.current = IngestSample(10, {}, spool_bytes=500, ship_lag_seconds=30, replicas=1)
    assert spool_backlog(Context(conn=None, settings=settings, ingest=probe)) is None  # type: ignore[arg-type]
    probe.current = IngestSample(10, {}, spool_bytes=500, ship_lag_seconds=90, replicas=1)
    finding = spool_backlog(Context(conn=None, settings=settings, ingest=probe))  # type: ignore[arg-type]
    assert finding is not None and "90 s old" in finding.summary  # type: ignore[union-attr]


def _notifications(url: str) -> list[tuple[str, str, int, float | None]]:
    """(kind, status, attempts, seconds from the last attempt to the next) of each notification."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT kind, status, attempts,"
            " extract(epoch FROM next_attempt_at - last_attempt_at)::float8"
            " FROM ops_notifications ORDER BY notification_id"
        ).fetchall()
    return [(r[0], r[1], r[2], None if r[3] is None else round(r[3], 3)) for r in rows]


def _wait_until_due(url: str) -> None:
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute(
            "SELECT bool_and(next_attempt_at <= now()) FROM ops_notifications"
            " WHERE status = 'pending'"
        ).fetchone() != (True,):
            assert time.monotonic() < deadline, "no notification came due"
            time.sleep(0.05)


def test_second_failed_run_keeps_the_incident_and_sends_nothing_new(
    warehouse_url: str, lake_dir: Path, tmp_path: Path, webhook: Webhook
) -> None:
    settings = _settings(webhook, tmp_path)
    lake = open_lake(str(lake_dir))
    webhook.start()
    _break_the_warehouse(warehouse_url)
    with pytest.raises(EtlRunFailed):
        run_etl(warehouse_url, lake)
    opened = check(warehouse_url, settings)

    with pytest.raises(EtlRunFailed):
        run_etl(warehouse_url, lake)  # still failing: a second failed run in the ledger
    still = check(warehouse_url, settings)

    assert [(t.alarm, t.kind) for t in opened.transitions] == [("etl_run_failed", "opened")]
    assert still.transitions == []
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT status FROM etl_runs ORDER BY run_id").fetchall()
        incidents = conn.execute("SELECT alarm, resolved_at FROM ops_incidents").fetchall()
    assert runs == [("failed",), ("failed",)]
    assert incidents == [("etl_run_failed", None)]
    assert [m["title"] for m in webhook.received] == ["[clickstream] ALARM etl_run_failed"]


def test_failed_notification_is_retried_after_a_doubling_wait_and_not_before(
    warehouse_url: str, tmp_path: Path, webhook: Webhook
) -> None:
    settings = OpsSettings(
        alert_urls=webhook.url,
        alert_retry_seconds=0.2,
        data_dir=tmp_path,
        alarm_disk_free_percent=0,
    )
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("INSERT INTO etl_runs (trigger, status, error) VALUES ('t', 'failed', 'x')")

    check(warehouse_url, settings)  # the webhook is down: attempt 1 fails
    assert _notifications(warehouse_url) == [("opened", "pending", 1, 0.2)]
    early = check(warehouse_url, settings)  # not due yet: no attempt
    assert (early.delivery.delivered, early.delivery.retrying) == (0, 0)
    assert _notifications(warehouse_url) == [("opened", "pending", 1, 0.2)]

    _wait_until_due(warehouse_url)
    check(warehouse_url, settings)
    assert _notifications(warehouse_url) == [("opened", "pending", 2, 0.4)]
    _wait_until_due(warehouse_url)
    check(warehouse_url, settings)
    assert _notifications(warehouse_url) == [("opened", "pending", 3, 0.8)]

    webhook.start()
    _wait_until_due(warehouse_url)
    delivered = check(warehouse_url, settings)
    assert (delivered.delivery.delivered, delivered.delivery.retrying) == (1, 0)
    assert _notifications(warehouse_url)[0][:3] == ("opened", "delivered", 4)
    assert [m["title"] for m in webhook.received] == ["[clickstream] ALARM etl_run_failed"]


def _wait_until_drained(ingest: Ingest) -> None:
    deadline = time.monotonic() + 10
    while ingest.service.spool_bytes() > 0:
        assert time.monotonic() < deadline, "the spool did not drain"
        time.sleep(0.05)


def test_spool_at_its_cap_opens_backlog_and_5xx_alarms_until_the_lake_returns(
    warehouse_url: str, tmp_path: Path, webhook: Webhook
) -> None:
    """The real fault: a blocked lake fills the spool to its cap, and the ingest answers 503."""
    webhook.start()
    settings = OpsSettings(
        alert_urls=webhook.url,
        alert_retry_seconds=0,
        data_dir=tmp_path,
        alarm_disk_free_percent=0,
        alarm_spool_bytes=2048,
        alarm_ship_lag_seconds=3600,  # only the bytes can open the backlog alarm here
        alarm_ingest_min_requests=5,
        alarm_ingest_5xx_rate=0.2,
        alarm_ingest_reject_rate=1.0,
    )
    blocker = tmp_path / "lake-blocked"
    blocker.write_text("a file where the lake folder should be")
    padded = {"event_name": "page_view", "properties": {"pad": "x" * 400}}
    (tmp_path / "ingest").mkdir()
    with running_ingest(
        tmp_path / "ingest",
        lake_url=str(blocker / "lake"),
        ingest_spool_max_bytes=4096,
        **FAST_SHIPPING,
    ) as ingest:
        probe = IngestProbe([f"{ingest.server.url}/metrics"])
        assert check(warehouse_url, settings, probe).transitions == []

        statuses = [ingest.post(padded).status_code for _ in range(20)]
        assert statuses.count(202) >= 4 and statuses.count(503) >= 10
        opened = check(warehouse_url, settings, probe)
        assert {(t.alarm, t.kind) for t in opened.transitions} == {
            ("spool_backlog", "opened"),
            ("ingest_5xx_rate", "opened"),
        }

        # The metrics cannot be read: the incidents stay open, nothing is sent.
        probe.urls = [f"http://127.0.0.1:{free_port()}/metrics"]
        assert check(warehouse_url, settings, probe).transitions == []
        probe.urls = [f"{ingest.server.url}/metrics"]
        check(warehouse_url, settings, probe)  # a first sample again: the rates are unknown
        for _ in range(10):
            assert ingest.post(padded).status_code == 503
        assert check(warehouse_url, settings, probe).transitions == []  # still failing
        with psycopg.connect(warehouse_url) as conn:
            assert sorted(a for a, _ in open_alarms(conn)) == ["ingest_5xx_rate", "spool_backlog"]

        blocker.unlink()  # the lake is back: the shipper drains the spool on its own
        _wait_until_drained(ingest)
        for _ in range(3):  # fewer bytes than the spool's cap (a record is ~0.9 KiB)
            assert ingest.post(padded).status_code == 202
        _wait_until_drained(ingest)
        resolved = check(warehouse_url, settings, probe)

    assert {(t.alarm, t.kind) for t in resolved.transitions} == {
        ("spool_backlog", "resolved"),
        ("ingest_5xx_rate", "resolved"),
    }
    titles = sorted(m["title"] for m in webhook.received)
    assert titles == [
        "[clickstream] ALARM ingest_5xx_rate",
        "[clickstream] ALARM spool_backlog",
        "[clickstream] RESOLVED ingest_5xx_rate",
        "[clickstream] RESOLVED spool_backlog",
    ]
