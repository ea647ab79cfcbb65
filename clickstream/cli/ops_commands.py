"""`clickstream ops ...`: least-privilege policies and lake retention."""

from __future__ import annotations

import json

import click

from clickstream.cli.common import EXIT_USAGE, fail, resolve_settings, with_warehouse
from clickstream.ops.configuration import OpsSettings


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
    from clickstream.lake import open_lake
    from clickstream.ops.retention import expire_lake

    settings = resolve_settings(OpsSettings, "ops", lake_retention_days=days)

    def work(url: str) -> None:
        report = expire_lake(open_lake(settings.lake_location), url, settings.lake_retention_days)
        click.echo(f"deleted={report.deleted} kept_unloaded={report.kept_unloaded}")

    with_warehouse(settings, work)


@ops.command("erase")
@click.option("--user-id", default=None, help="Erase this user id.")
@click.option("--client-id", default=None, help="Erase this anonymous browser id.")
def erase(user_id: str | None, client_id: str | None) -> None:
    """Erase one user or browser from the lake and the warehouse, with an audit row.

    Lake objects holding it are rewritten atomically; affected days are derived again. With
    CLICKSTREAM_PSEUDONYMISE_KEY set, give the shop's user id: its pseudonym is erased.
    Events still in an ingest spool arrive later: erase again after the spool's age.
    Example: clickstream ops erase --user-id 42
    """
    from clickstream.events.pseudonym import pseudonymise
    from clickstream.lake import open_lake
    from clickstream.ops.erasure import ErasureBusy, erase_subject

    if (user_id is None) == (client_id is None):
        fail("give exactly one of --user-id and --client-id", EXIT_USAGE)
    kind, value = ("user_id", user_id) if user_id is not None else ("client_id", client_id)
    settings = resolve_settings(OpsSettings, "ops")
    if kind == "user_id" and settings.pseudonym_key and value:
        # The warehouse and lake hold the pseudonym, never the shop's id.
        value = pseudonymise(settings.pseudonym_key, value)

    def work(url: str) -> None:
        try:
            report = erase_subject(url, open_lake(settings.lake_location), kind, value or "")
        except ErasureBusy as exc:
            fail(str(exc))
        click.echo(
            f"erasure {report.erasure_id}: events={report.events_deleted} "
            f"quarantined={report.quarantine_deleted} days_rederived={report.days_rederived} "
            f"lake_objects_rewritten={report.lake_objects_rewritten} "
            f"lake_objects_deleted={report.lake_objects_deleted}"
        )

    with_warehouse(settings, work)
