"""The scheduled ETL as drawn (rows 9, 11, 17): EventBridge starts the ETL Lambda (a container
image in the private subnet) on the schedule from settings; alarms and the one dashboard."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.logs import NAMESPACE
from clickstream.aws.stacks.analytics import AnalyticsStack
from clickstream.aws.stacks.common import notify, retention, source_root
from clickstream.aws.stacks.data import DataStack
from clickstream.aws.stacks.ingest import IngestStack
from clickstream.aws.stacks.nag import suppress
from clickstream.aws.stacks.network import PRIVATE, NetworkStack
from clickstream.lake.keys import EVENTS_PREFIX

# The image's build context: the package and its metadata, nothing else of the checkout.
IMAGE_CONTEXT = ["*", "!clickstream", "!pyproject.toml", "!README.md", "**/__pycache__"]
ETL_SETTINGS = (
    "etl_batch_files",
    "etl_batch_bytes",
    "etl_duckdb_threads",
    "etl_duckdb_memory_limit",
    "etl_fetch_workers",
)


def metric(name: str, statistic: str = "Sum", hours: float = 1) -> cloudwatch.Metric:
    """One of the embedded metrics the Lambdas write (clickstream/aws/logs.py)."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        statistic=statistic,
        period=cdk.Duration.minutes(int(hours * 60)),
    )


class EtlStack(cdk.Stack):
    """The ETL function, its role and schedule, the ETL alarms and the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: AwsDeploySettings,
        network: NetworkStack,
        data: DataStack,
        ingest: IngestStack,
        analytics: AnalyticsStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.role = self._role(data, analytics)
        log_group = logs.LogGroup(self, "EtlLogs", retention=retention(settings))
        log_group.grant_write(self.role)
        environment = {f"CLICKSTREAM_{n.upper()}": str(getattr(settings, n)) for n in ETL_SETTINGS}
        environment.update(
            CLICKSTREAM_LAKE_URL=f"s3://{data.raw.bucket_name}",
            CLICKSTREAM_DATA_DIR="/tmp/clickstream",  # noqa: S108 (Lambda's only writable folder)
            CLICKSTREAM_ETL_WORK_DIR="/tmp/clickstream/etl",  # noqa: S108
            CLICKSTREAM_AWS_ALARM_TOPIC_ARN=data.topic.topic_arn,
            CLICKSTREAM_AWS_WAREHOUSE_SECRET_ARN=analytics.etl_secret.secret_arn,
            CLICKSTREAM_AWS_WAREHOUSE_HOST=analytics.instance.instance_private_ip,
        )
        timeout = cdk.Duration.seconds(settings.aws_etl_timeout_seconds)
        self.function = lambda_.DockerImageFunction(
            self,
            "Etl",
            code=lambda_.DockerImageCode.from_image_asset(
                str(source_root()),
                file="clickstream/aws/stacks/etl.Dockerfile",
                exclude=IMAGE_CONTEXT,
                ignore_mode=cdk.IgnoreMode.DOCKER,
                platform=ecr_assets.Platform.LINUX_AMD64,
            ),
            role=self.role,
            vpc=network.vpc,
            vpc_subnets=PRIVATE,
            security_groups=[network.etl_sg],
            memory_size=settings.aws_etl_memory_mb,
            ephemeral_storage_size=cdk.Size.gibibytes(2),
            timeout=timeout,
            environment=environment,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            reserved_concurrent_executions=1,  # one run at a time, as the lock also ensures
            description="clickstream etl run against the S3 lake and the private warehouse",
        )
        self.rule = self._schedule(settings)
        self._alarms(settings, data, timeout)
        self._dashboard(ingest)

    def _role(self, data: DataStack, analytics: AnalyticsStack) -> iam.Role:
        role = iam.Role(
            self,
            "EtlRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The ETL Lambda: read the lake's events, nothing else in S3",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[data.raw.arn_for_objects(f"{EVENTS_PREFIX}*")]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[data.raw.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{EVENTS_PREFIX}*"]}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                # a function in a VPC manages its own network interfaces; EC2 scopes none
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )
        data.topic.grant_publish(role)
        analytics.etl_secret.grant_read(role)
        suppress(
            role,
            {
                "IAM5": "s3:GetObject on the lake's events/ prefix (keys are per request); "
                "the VPC network-interface actions, which EC2 does not scope by resource.",
            },
        )
        return role

    def _schedule(self, settings: AwsDeploySettings) -> events.Rule:
        enabled = cdk.CfnParameter(
            self,
            "EtlScheduleEnabled",
            type="String",
            allowed_values=["true", "false"],
            default="true",
            description="Whether EventBridge starts the ETL on its schedule (false pauses it).",
        )
        is_enabled = cdk.CfnCondition(
            self, "EtlScheduleIsEnabled", expression=cdk.Fn.condition_equals(enabled, "true")
        )
        rule = events.Rule(
            self,
            "EtlSchedule",
            schedule=events.Schedule.expression(settings.etl_schedule),
            description="CLICKSTREAM_ETL_SCHEDULE",
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        cfn_rule = rule.node.default_child
        assert isinstance(cfn_rule, events.CfnRule)
        cfn_rule.state = cdk.Fn.condition_if(
            is_enabled.logical_id, "ENABLED", "DISABLED"
        ).to_string()
        return rule

    def _alarms(self, settings: AwsDeploySettings, data: DataStack, timeout: cdk.Duration) -> None:
        hours = max(1, round(settings.alarm_nothing_loaded_hours))
        above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        quiet = cloudwatch.TreatMissingData.NOT_BREACHING
        self.alarms = [
            notify(
                metric("EtlFailed").create_alarm(
                    self,
                    "EtlRunFailed",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=above,
                    treat_missing_data=quiet,
                    alarm_description="An ETL run failed (the topic also has its error)",
                ),
                data.topic,
            ),
            notify(
                metric("EtlLoaded", hours=hours).create_alarm(
                    self,
                    "NothingLoaded",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
                    alarm_description=f"No event loaded for {hours} hours "
                    "(CLICKSTREAM_ALARM_NOTHING_LOADED_HOURS)",
                ),
                data.topic,
            ),
            notify(
                self.function.metric_throttles(period=cdk.Duration.hours(1)).create_alarm(
                    self,
                    "EtlThrottles",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=above,
                    treat_missing_data=quiet,
                    alarm_description="A scheduled ETL start was throttled",
                ),
                data.topic,
            ),
            notify(
                self.function.metric_duration(
                    statistic="Maximum", period=cdk.Duration.hours(1)
                ).create_alarm(
                    self,
                    "EtlDurationNearTimeout",
                    threshold=timeout.to_milliseconds() * 0.8,
                    evaluation_periods=1,
                    treat_missing_data=quiet,
                    alarm_description="An ETL run took over 80% of the Lambda timeout",
                ),
                data.topic,
            ),
        ]

    def _dashboard(self, ingest: IngestStack) -> None:
        board = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{self.stack_name}-overview"
        )
        rejected = cloudwatch.MathExpression(
            expression=f"SEARCH('{{{NAMESPACE},Reason}} MetricName=\"Rejected\"', 'Sum', 300)",
            label="rejected by reason",
            period=cdk.Duration.minutes(5),
        )
        board.add_widgets(
            cloudwatch.GraphWidget(
                title="Ingest: accepted and rejected events",
                left=[metric("Accepted", hours=1 / 12), rejected],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Ingest Lambda: duration, errors, throttles",
                left=[ingest.function.metric_duration(statistic="p99")],
                right=[ingest.function.metric_errors(), ingest.function.metric_throttles()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="ETL per run: loaded, duplicates, rejected",
                left=[metric("EtlLoaded"), metric("EtlDuplicates"), metric("EtlRejected")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="ETL: duration and failures",
                left=[metric("EtlDurationMs", statistic="Maximum")],
                right=[metric("EtlFailed")],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=[*ingest.alarms, *self.alarms], width=24
            ),
        )
