"""Settings of the AWS adapters and the CDK app (`CLICKSTREAM_AWS_*` and the parts' own).

Each Lambda resolves one class once per container, on its first call, so that pydantic stays
off the import path the cold start pays for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clickstream.ingest.configuration import IngestSettings
from clickstream.scheduler.configuration import SchedulerSettings


class AwsIngestSettings(IngestSettings):
    """The ingest Lambda: the ingest's own settings and where accepted batches go."""

    aws_ingest_delivery: Literal["s3", "firehose"] = Field(
        "s3",
        description="Where the ingest Lambda writes an accepted batch before its 2xx: `s3` "
        "(one object a request under the lake's `events/` keys) or `firehose` (Amazon Data "
        "Firehose, which batches records into the same hourly prefixes).",
    )
    aws_firehose_stream: str | None = Field(
        None, description="Name of the Firehose delivery stream when the delivery is `firehose`."
    )


class AwsEtlSettings(SchedulerSettings):
    """The ETL Lambda: the ETL's settings, its warehouse credentials and where failures go."""

    aws_alarm_topic_arn: str | None = Field(
        None, description="SNS topic the ETL Lambda notifies when a run fails."
    )
    aws_warehouse_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret (JSON with `username` and `password`) of the "
        "ETL's warehouse role; used when CLICKSTREAM_WAREHOUSE_URL is unset.",
    )
    aws_warehouse_host: str = Field(
        "127.0.0.1", description="Private address of the warehouse the ETL Lambda connects to."
    )
    aws_warehouse_database: str = Field(
        "clickstream", description="Name of the warehouse database on that host."
    )
