from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clickstream.scheduler.expressions import ScheduleExpressionInvalid, parse

T0 = datetime(2026, 11, 25, 15, 7, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 hour)", T0 + timedelta(hours=1)),
        ("rate(5 minutes)", T0 + timedelta(minutes=5)),
        ("rate(2 days)", T0 + timedelta(days=2)),
        ("cron(5 * * * ? *)", datetime(2026, 11, 25, 16, 5, tzinfo=UTC)),
        ("cron(0 12 * * ? *)", datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("cron(0 8 ? * MON-FRI *)", datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        ("cron(0 8 ? * 1 *)", datetime(2026, 11, 29, 8, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(0 0 1 1 ? 2028)", datetime(2028, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_valid_expression_fires_when_eventbridge_would(expression: str, expected: datetime) -> None:
    assert parse(expression).next_after(T0, anchor=T0) == expected


def test_rate_keeps_its_rhythm_from_the_anchor() -> None:
    schedule = parse("rate(1 hour)")
    assert schedule.next_after(T0 + timedelta(minutes=90), anchor=T0) == T0 + timedelta(hours=2)


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("every hour", "not a schedule expression"),
        ("rate(0 hours)", "positive"),
        ("rate(1 fortnight)", "unit"),
        ("cron(5 * * * *)", "6 fields"),
        ("cron(5 * * * * *)", "exactly one"),
        ("cron(5 * ? * ? *)", "exactly one"),
        ("cron(61 * * * ? *)", "out of range"),
        ("cron(0 8 ? * 9 *)", "day-of-week"),
        ("cron(0 8 * * ? 1900)", "year"),
        ("rate(1.5 hours)", "not a schedule expression"),
        ("rate(-1 hours)", "not a schedule expression"),
        ("cron()", "6 fields"),
        ("cron(0 25 * * ? *)", "out of range"),
        ("cron(0 8 ? * MON-XYZ *)", "day-of-week"),
        ("cron(0 8 * * ? 2030-20x0)", "year"),
        ("", "not a schedule expression"),
    ],
)
def test_invalid_expression_is_refused_with_the_reason(expression: str, needle: str) -> None:
    with pytest.raises(ScheduleExpressionInvalid, match=needle):
        parse(expression)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", T0 + timedelta(minutes=1)),
        ("  rate(3 hours)  ", T0 + timedelta(hours=3)),
        ("cron(0/15 * * * ? *)", datetime(2026, 11, 25, 15, 15, tzinfo=UTC)),
        ("cron(0 9 1 * ? *)", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("cron(30 6 ? * SAT,SUN *)", datetime(2026, 11, 28, 6, 30, tzinfo=UTC)),
        ("cron(0 0 1 1 ? 2026-2027)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_more_valid_expressions_fire_at_the_expected_time(
    expression: str, expected: datetime
) -> None:
    assert parse(expression).next_after(T0, anchor=T0) == expected
