"""What several stacks share: log retention, the source checkout, alarm wiring."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from clickstream.aws.configuration import AwsDeploySettings

_RETENTION = [
    (1, logs.RetentionDays.ONE_DAY),
    (3, logs.RetentionDays.THREE_DAYS),
    (7, logs.RetentionDays.ONE_WEEK),
    (14, logs.RetentionDays.TWO_WEEKS),
    (30, logs.RetentionDays.ONE_MONTH),
    (90, logs.RetentionDays.THREE_MONTHS),
    (180, logs.RetentionDays.SIX_MONTHS),
    (365, logs.RetentionDays.ONE_YEAR),
    (731, logs.RetentionDays.TWO_YEARS),
    (1827, logs.RetentionDays.FIVE_YEARS),
    (3653, logs.RetentionDays.TEN_YEARS),
]


def retention(settings: AwsDeploySettings) -> logs.RetentionDays:
    """The shortest CloudWatch retention at least CLICKSTREAM_AWS_LOG_RETENTION_DAYS long."""
    for days, member in _RETENTION:
        if days >= settings.aws_log_retention_days:
            return member
    return _RETENTION[-1][1]


def source_root() -> Path:
    """The source checkout the assets are built from (the folder holding pyproject.toml)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "pyproject.toml").is_file():
        raise FileNotFoundError(
            f"{root} holds no pyproject.toml: synthesize from a source checkout of clickstream"
        )
    return root


def notify(alarm: cloudwatch.Alarm, topic: sns.ITopic) -> cloudwatch.Alarm:
    """Send the alarm's state changes (and its return to OK) to the alarm topic."""
    alarm.add_alarm_action(actions.SnsAction(topic))
    alarm.add_ok_action(actions.SnsAction(topic))
    return alarm
