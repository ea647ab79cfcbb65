"""The first run's guide: shown while nothing was ever loaded, with the last run and the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clickstream.dashboard.guide import guide

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _text(row: dict[str, object], **kwargs: object) -> str:
    shown = guide({"checked_at": NOW, **row}, **kwargs)  # type: ignore[arg-type]
    assert shown is not None
    return str(shown)


def test_the_guide_disappears_once_any_event_is_loaded() -> None:
    assert guide({"has_events": True, "last_run_started": NOW}, None) is None


def test_the_guide_says_why_it_is_empty_and_when_the_next_load_runs() -> None:
    never = _text({"has_events": False, "last_run_started": None}, next_load=None)
    assert "the ETL has not run since the warehouse was made" in never
    assert "CLICKSTREAM_ETL_SCHEDULE" in never
    last = NOW - timedelta(minutes=20)
    after = _text(
        {"has_events": False, "last_run_started": last, "last_status": "succeeded"},
        next_load=lambda started: started + timedelta(hours=1) if started else None,
    )
    assert "the last ETL run (succeeded) started 20m 00s ago and found nothing" in after
    assert "starts at about 2026-05-01 12:40:00 UTC" in after
    assert "clickstream etl run" in after and "clickstream up --demo" in after
