"""`clickstream etl run` as an AWS Lambda started by an EventBridge schedule.

The same `run_etl` as the CLI, against the lake's bucket and the warehouse on the private
instance; the run's counts go out as CloudWatch embedded metrics and a failed run is published
to the SNS topic before the invocation fails (so the Lambda's Errors metric counts it too).
"""

from __future__ import annotations

import json
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from clickstream.aws.configuration import AwsEtlSettings
    from clickstream.etl.result import RunResult


def warehouse_url(settings: AwsEtlSettings, secrets: Any | None) -> str:
    """CLICKSTREAM_WAREHOUSE_URL, or one built from the ETL role's secret and the host."""
    if settings.warehouse_url is not None:
        return settings.warehouse_url.get_secret_value()
    if not settings.aws_warehouse_secret_arn or secrets is None:
        raise ValueError(
            "set CLICKSTREAM_WAREHOUSE_URL or CLICKSTREAM_AWS_WAREHOUSE_SECRET_ARN for the ETL"
        )
    secret = json.loads(
        secrets.get_secret_value(SecretId=settings.aws_warehouse_secret_arn)["SecretString"]
    )
    user, password = quote(secret["username"], safe=""), quote(secret["password"], safe="")
    host, database = settings.aws_warehouse_host, settings.aws_warehouse_database
    return f"postgresql://{user}:{password}@{host}:5432/{database}"


def run_metrics(result: RunResult, seconds: float) -> dict[str, float]:
    """The run's counts as CloudWatch metrics (docs/aws.md)."""
    return {
        "EtlFiles": result.files,
        "EtlLoaded": result.loaded,
        "EtlDuplicates": result.duplicates,
        "EtlRejected": result.rejected,
        "EtlFailed": 1 if result.status == "failed" else 0,
        "EtlDurationMs": seconds * 1000,
    }


def notify_failure(sns: Any, topic_arn: str | None, error: str) -> None:
    """Publish a failed run to the alarm topic (when there is one)."""
    if not topic_arn:
        return
    sns.publish(
        TopicArn=topic_arn,
        Subject="Clickstream ETL run failed",
        Message=f"The scheduled ETL run failed: {error[:2000]}",
    )


def run(settings: AwsEtlSettings, clients: dict[str, Any], trigger: str) -> RunResult:
    """One ETL run as `etl run` makes it; raises `EtlRunFailed` after notifying the topic."""
    from clickstream.aws.delivery import S3Lake
    from clickstream.aws.logs import log, put_metrics
    from clickstream.etl.run import EtlOptions, EtlRunFailed, run_etl

    started = perf_counter()
    try:
        url = warehouse_url(settings, clients.get("secretsmanager"))
        result = run_etl(
            url,
            S3Lake(clients["s3"], settings.lake_location),
            trigger=trigger,
            options=EtlOptions.from_settings(settings),
        )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        put_metrics({"EtlFailed": 1, "EtlDurationMs": (perf_counter() - started) * 1000})
        log("etl_failed", "error", error=error[:500])
        notify_failure(clients["sns"], settings.aws_alarm_topic_arn, error)
        if isinstance(exc, EtlRunFailed):
            raise
        raise EtlRunFailed(error) from exc
    put_metrics(run_metrics(result, perf_counter() - started))
    log("etl_run", run_id=result.run_id, status=result.status, summary=result.summary())
    return result


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point: an EventBridge scheduled event in, the run's counts out."""
    import boto3

    from clickstream.aws.configuration import AwsEtlSettings
    from clickstream.settings import load

    settings = load(AwsEtlSettings)
    clients = {"s3": boto3.client("s3"), "sns": boto3.client("sns")}
    if settings.aws_warehouse_secret_arn and settings.warehouse_url is None:
        clients["secretsmanager"] = boto3.client("secretsmanager")
    trigger = "scheduled" if (event or {}).get("source") == "aws.events" else "manual"
    result = run(settings, clients, trigger)
    return {
        "run_id": result.run_id,
        "status": result.status,
        "files": result.files,
        "loaded": result.loaded,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
    }
