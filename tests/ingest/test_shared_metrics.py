"""Worker processes' counters: published as files, added up by whichever worker is scraped."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from clickstream.ingest.http.metrics import IngestMetrics
from clickstream.ingest.http.shared_metrics import SharedMetrics, reset


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_a_scrape_adds_every_siblings_last_snapshot_to_its_own_live_counters(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ".metrics"
    (folder / "stale.json").parent.mkdir(parents=True)
    (folder / "stale.json").write_text("{}")
    reset(folder)  # a new parent forgets the snapshots of an earlier run
    assert list(folder.iterdir()) == []

    workers = [IngestMetrics() for _ in range(3)]
    shared = [SharedMetrics(folder, f"n-{i}", m) for i, m in enumerate(workers)]
    workers[0].accept(3)
    workers[0].reject("too_large")
    workers[1].accept(5)
    workers[1].reject("too_large")
    workers[1].observe(0.003)
    workers[2].reject("bad_json")
    workers[2].ship_failures = 2
    for each in shared:
        each.publish()
    (folder / "n-9.json").write_text("{not json")  # being replaced right now: skipped
    workers[0].accept(1)  # live, not yet published

    text = workers[0].render(10.0, 0.5, 0, shared[0].siblings())
    found = samples(text)
    assert found[("clickstream_ingest_accepted_events_total", ())] == 9
    assert found[("clickstream_ingest_accepted_requests_total", ())] == 3
    reason = (("reason", "too_large"),)
    assert found[("clickstream_ingest_rejected_requests_total", reason)] == 2
    assert found[("clickstream_ingest_rejected_requests_total", (("reason", "bad_json"),))] == 1
    assert found[("clickstream_ingest_request_seconds_count", ())] == 1
    assert found[("clickstream_ingest_ship_failures", ())] == 2
    assert found[("clickstream_ingest_spool_bytes", ())] == 10

    alone = samples(workers[0].render(10.0, 0.5, 0))  # no siblings: its own counts only
    assert alone[("clickstream_ingest_accepted_events_total", ())] == 4
