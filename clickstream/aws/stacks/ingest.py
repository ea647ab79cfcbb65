"""`POST /clickstream` as drawn (rows 6, 7): an API Gateway HTTP API and the ingest Lambda,
whose role may only put objects under `events/` and `quarantine/`; optionally Firehose."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.assets import IngestZip, bundled
from clickstream.aws.stacks.common import notify, retention, source_root
from clickstream.aws.stacks.data import DataStack
from clickstream.aws.stacks.nag import suppress
from clickstream.lake.keys import EVENTS_PREFIX, QUARANTINE_PREFIX

INGEST_TIMEOUT = cdk.Duration.seconds(10)
# The ingest settings the function reads, passed through from the deploying settings.
PASSED_SETTINGS = (
    "ingest_max_body_bytes",
    "ingest_max_past_skew_seconds",
    "ingest_max_future_skew_seconds",
    "ingest_max_batch_events",
    "ingest_max_event_bytes",
    "ingest_max_json_depth",
    "ingest_max_property_keys",
    "ingest_auth",
    "ingest_jwt_algorithms",
    "ingest_token_leeway_seconds",
    "ingest_quarantine_per_minute",
    "ingest_retry_after_seconds",
    "aws_ingest_delivery",
)


class IngestStack(cdk.Stack):
    """The HTTP API, the ingest function and role, its alarms; Firehose when configured."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: AwsDeploySettings,
        data: DataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = data.raw
        issuer = f"https://cognito-idp.{self.region}.amazonaws.com/{data.pool.user_pool_id}"
        self.role = iam.Role(
            self,
            "IngestRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The ingest Lambda: put lake objects under events/ and quarantine/ only",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(f"{EVENTS_PREFIX}*"),
                    bucket.arn_for_objects(f"{QUARANTINE_PREFIX}*"),
                ],
            )
        )
        log_group = logs.LogGroup(self, "IngestLogs", retention=retention(settings))
        log_group.grant_write(self.role)
        environment = {
            f"CLICKSTREAM_{name.upper()}": str(getattr(settings, name)).lower()
            if isinstance(getattr(settings, name), bool)
            else str(getattr(settings, name))
            for name in PASSED_SETTINGS
        }
        environment.update(
            CLICKSTREAM_LAKE_URL=f"s3://{bucket.bucket_name}",
            CLICKSTREAM_DATA_DIR="/tmp/clickstream",  # noqa: S108 (Lambda's only writable folder)
            CLICKSTREAM_NODE_ID="ingest",
            CLICKSTREAM_INGEST_JWKS_URL=f"{issuer}/.well-known/jwks.json",
            CLICKSTREAM_INGEST_JWT_ISSUER=issuer,
            CLICKSTREAM_INGEST_JWT_AUDIENCE=data.client.user_pool_client_id,
        )
        if settings.aws_ingest_delivery == "firehose":
            stream = self._firehose(settings, data)
            environment["CLICKSTREAM_AWS_FIREHOSE_STREAM"] = stream.delivery_stream_name
            stream.grant_put_records(self.role)
        root = source_root()
        self.function = lambda_.Function(
            self,
            "Ingest",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="clickstream.aws.ingest_lambda.handler",
            code=lambda_.Code.from_asset(
                str(root / "clickstream"),
                asset_hash_type=cdk.AssetHashType.OUTPUT,
                bundling=bundled(IngestZip(root)),
            ),
            role=self.role,
            memory_size=512,
            timeout=INGEST_TIMEOUT,
            environment=environment,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description="POST /clickstream: validate, enrich, store in S3, then 202",
        )
        self.api = self._api(settings, data, issuer)
        self._alarms(settings, data)
        cdk.CfnOutput(self, "IngestUrl", value=f"{self.api.api_endpoint}/clickstream")
        suppress(
            self.role,
            {
                "IAM5": "Lake object keys are generated per request under these two "
                "prefixes; the wildcard is the prefix, and only s3:PutObject is allowed."
            },
            applies_to=[
                f"Resource::<{self.get_logical_id_of(bucket)}.Arn>/{prefix}*"
                for prefix in (EVENTS_PREFIX, QUARANTINE_PREFIX)
            ],
        )

    def get_logical_id_of(self, bucket: Any) -> str:
        """The logical id of `bucket` in its own stack, as cdk-nag names it in `applies_to`."""
        return str(cdk.Stack.of(bucket).get_logical_id(bucket.node.default_child))

    def _api(self, settings: AwsDeploySettings, data: DataStack, issuer: str) -> apigw.HttpApi:
        origins = [o.strip() for o in settings.ingest_cors_origins.split(",") if o.strip()]
        cors = None
        if origins:
            cors = apigw.CorsPreflightOptions(
                allow_origins=origins,
                allow_methods=[apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.OPTIONS],
                allow_headers=["content-type", "content-encoding", "authorization"],
                max_age=cdk.Duration.hours(1),
            )
        api = apigw.HttpApi(
            self,
            "Api",
            description="Clickstream collector",
            cors_preflight=cors,
            create_default_stage=False,
        )
        throttle = None
        if settings.ingest_rate_limit_per_second > 0:
            throttle = apigw.ThrottleSettings(
                rate_limit=settings.ingest_rate_limit_per_second,
                burst_limit=settings.ingest_rate_limit_burst,
            )
        stage = apigw.HttpStage(
            self, "Stage", http_api=api, stage_name="$default", auto_deploy=True, throttle=throttle
        )
        access = logs.LogGroup(self, "ApiAccessLogs", retention=retention(settings))
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access.log_group_arn,
            format=json.dumps(
                {
                    "requestId": "$context.requestId",
                    "ip": "$context.identity.sourceIp",
                    "time": "$context.requestTime",
                    "route": "$context.routeKey",
                    "status": "$context.status",
                    "length": "$context.responseLength",
                    "latency": "$context.integrationLatency",
                }
            ),
        )
        authorizer = None
        if settings.aws_ingest_jwt_authorizer:
            authorizer = authorizers.HttpJwtAuthorizer(
                "CognitoJwt", issuer, jwt_audience=[data.client.user_pool_client_id]
            )
        routes = api.add_routes(
            path="/clickstream",
            methods=[apigw.HttpMethod.POST],
            integration=integrations.HttpLambdaIntegration("IngestIntegration", self.function),
            authorizer=authorizer,
        )
        if authorizer is None:
            for route in routes:
                suppress(
                    route,
                    {
                        "APIG4": "The collector is public like any analytics beacon: guests "
                        "send events too. Bearer tokens are verified by the function; set "
                        "CLICKSTREAM_AWS_INGEST_JWT_AUTHORIZER to require one at the gateway.",
                    },
                )
        self.stage = stage
        return api

    def _firehose(self, settings: AwsDeploySettings, data: DataStack) -> firehose.DeliveryStream:
        destination = firehose.S3Bucket(
            data.raw,
            data_output_prefix=f"{EVENTS_PREFIX}!{{timestamp:yyyy/MM/dd/HH}}/",
            error_output_prefix=(
                f"{QUARANTINE_PREFIX}firehose/!{{firehose:error-output-type}}/"
                "!{timestamp:yyyy/MM/dd/HH}/"
            ),
            compression=firehose.Compression.GZIP,
            file_extension=".ndjson.gz",
            buffering_interval=cdk.Duration.seconds(60),
            buffering_size=cdk.Size.mebibytes(5),
            logging_config=firehose.EnableLogging(
                logs.LogGroup(self, "FirehoseLogs", retention=retention(settings))
            ),
        )
        return firehose.DeliveryStream(
            self,
            "Events",
            destination=destination,
            encryption=firehose.StreamEncryption.aws_owned_key(),
        )

    def _alarms(self, settings: AwsDeploySettings, data: DataStack) -> None:
        requests = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="Count",
            dimensions_map={"ApiId": self.api.api_id, "Stage": "$default"},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        errors = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5xx",
            dimensions_map={"ApiId": self.api.api_id, "Stage": "$default"},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {settings.alarm_ingest_min_requests}, "
            "errors / requests, 0)",
            using_metrics={"errors": errors, "requests": requests},
            label="5xx rate",
            period=cdk.Duration.minutes(5),
        )
        self.alarms = [
            notify(
                rate.create_alarm(
                    self,
                    "Ingest5xxRate",
                    threshold=settings.alarm_ingest_5xx_rate,
                    evaluation_periods=1,
                    alarm_description="Share of POST /clickstream answered with a 5xx",
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
                data.topic,
            ),
            notify(
                self.function.metric_throttles(period=cdk.Duration.minutes(5)).create_alarm(
                    self,
                    "IngestThrottles",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    alarm_description="The ingest Lambda was throttled (concurrency limit)",
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
                data.topic,
            ),
            notify(
                self.function.metric_duration(
                    statistic="Maximum", period=cdk.Duration.minutes(5)
                ).create_alarm(
                    self,
                    "IngestDurationNearTimeout",
                    threshold=INGEST_TIMEOUT.to_milliseconds() * 0.8,
                    evaluation_periods=1,
                    alarm_description="An ingest call took over 80% of its timeout",
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
                data.topic,
            ),
        ]
