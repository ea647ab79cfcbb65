"""`clickstream ops ...`: least-privilege policies and lake retention."""

from __future__ import annotations

import json

import click

from clickstream import settings as config


@click.group()
def ops() -> None:
    """Operations: IAM policies, lake retention."""


@ops.command("iam-policy")
@click.argument("part", type=click.Choice(["ingest", "etl", "maintenance", "shop"]))
@click.option("--bucket", required=True, help="S3 bucket name (the lake's, or media's for shop).")
@click.option("--prefix", default="", help="Key prefix inside the bucket, if any.")
def iam_policy(part: str, bucket: str, prefix: str) -> None:
    """Print the least-privilege IAM policy PART needs on the S3 bucket.

    Example: clickstream ops iam-policy ingest --bucket my-lake > ingest-policy.json
    """
    from clickstream.ops.iam import policy_for

    click.echo(json.dumps(policy_for(part, bucket, prefix), indent=2))


@ops.command("expire-lake")
@click.option("--days", type=int, default=None, help="Override CLICKSTREAM_LAKE_RETENTION_DAYS.")
def expire_lake_command(days: int | None) -> None:
    """Delete loaded raw event objects older than the retention period.

    Objects the ETL has not loaded are kept whatever their age.
    Example: clickstream ops expire-lake --days 400
    """
    from clickstream.cli.main import _settings, _with_warehouse
    from clickstream.lake import open_lake
    from clickstream.ops.retention import expire_lake

    settings = _settings(config.OpsSettings, "ops", lake_retention_days=days)

    def work(url: str) -> None:
        report = expire_lake(open_lake(settings.lake_location), url, settings.lake_retention_days)
        click.echo(f"deleted={report.deleted} kept_unloaded={report.kept_unloaded}")

    _with_warehouse(settings, work)
