"""Settings of the AWS adapters and the CDK app (`CLICKSTREAM_AWS_*` and the parts' own).

Each Lambda resolves one class once per container, on its first call, so that pydantic stays
off the import path the cold start pays for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clickstream.dashboard.configuration import DashboardSettings
from clickstream.ingest.configuration import IngestSettings
from clickstream.scheduler.configuration import SchedulerSettings
from clickstream.shop.configuration import ShopSettings


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


class AwsDeploySettings(AwsIngestSettings, AwsEtlSettings, ShopSettings, DashboardSettings):
    """The CDK app: what `clickstream deploy aws synth` builds, from every part's settings."""

    aws_stack_prefix: str = Field(
        "Clickstream",
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,30}$",
        description="Prefix of the CloudFormation stack names (`<prefix>-network`, ...).",
    )
    aws_vpc_cidr: str = Field(
        "10.42.0.0/16", description="Address range of the VPC the CDK app creates."
    )
    aws_vpc_id: str | None = Field(
        None,
        description="An existing VPC to deploy into instead of a new one; then the "
        "CLICKSTREAM_AWS_*_SUBNET_ID, _ROUTE_TABLE_ID and _AVAILABILITY_ZONE settings are "
        "required too.",
    )
    aws_availability_zone: str | None = Field(
        None, description="Availability zone of the existing VPC's two subnets."
    )
    aws_public_subnet_id: str | None = Field(
        None, description="The existing VPC's public subnet (the shop and its database)."
    )
    aws_private_subnet_id: str | None = Field(
        None, description="The existing VPC's private subnet with no internet route (analytics)."
    )
    aws_private_route_table_id: str | None = Field(
        None, description="Route table of the existing private subnet (for the S3 endpoint)."
    )
    aws_log_retention_days: int = Field(
        30, ge=1, description="Days CloudWatch keeps the Lambdas', API's and hosts' logs."
    )
    aws_ingest_jwt_authorizer: bool = Field(
        False,
        description="Put API Gateway's Cognito JWT authorizer in front of `POST /clickstream` "
        "(every request then needs a pool token; the Lambda still reads identity itself).",
    )
    aws_instance_type: str = Field(
        "t3.small", description="EC2 instance type of the analytics host and the shop host."
    )
    aws_etl_timeout_seconds: int = Field(
        900, ge=60, le=900, description="Timeout of the ETL Lambda (at most 15 minutes)."
    )
    aws_etl_memory_mb: int = Field(
        2048, ge=512, le=10240, description="Memory of the ETL Lambda (DuckDB's share follows)."
    )
