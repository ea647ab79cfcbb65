"""What keeps state (rows 5, 8, 18): the raw-event lake and its access logs, the Cognito user
pool and the alarm topic. (The media bucket lives with the CloudFront distribution that reads
it, in the shop stack: its bucket policy names the distribution.)"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.nag import suppress
from clickstream.lake.keys import EVENTS_PREFIX, QUARANTINE_PREFIX


class DataStack(cdk.Stack):
    """The lake and its access logs, the shop's user pool and the alarm topic."""

    def __init__(
        self, scope: Construct, construct_id: str, settings: AwsDeploySettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.access_logs = log_bucket(self, "AccessLogs")
        self.raw = self._bucket("Raw", "raw/", lake_rules(settings.lake_retention_days))
        self.pool, self.client = self._user_pool()
        self.topic = self._topic()

    def _bucket(self, name: str, log_prefix: str, rules: list[s3.LifecycleRule]) -> s3.Bucket:
        return private_bucket(self, name, self.access_logs, log_prefix, rules)

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        suppress(
            pool,
            {
                "COG2": "Shoppers choose MFA (TOTP is offered); requiring it would turn "
                "away the demo shop's customers.",
                "COG8": "The Plus feature plan is billed per active user; the shop "
                "throttles and locks out repeated sign-in failures itself.",
                "COG3": "Threat protection is Cognito's paid Plus plan; the shop throttles "
                "sign-in attempts itself (CLICKSTREAM_AUTH_ATTEMPTS_PER_MINUTE).",
            },
        )
        client = pool.add_client(
            "Shop",
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.minutes(60),
            access_token_validity=cdk.Duration.minutes(60),
            refresh_token_validity=cdk.Duration.days(30),
        )
        return pool, client

    def _topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "AlarmKey",
            enable_key_rotation=True,
            description="Encrypts the alarm topic; CloudWatch alarms may use it",
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        topic = sns.Topic(self, "Alarms", master_key=key, enforce_ssl=True)
        email = cdk.CfnParameter(
            self,
            "AlarmEmail",
            type="String",
            default="",
            description="E-mail address subscribed to the alarm topic (empty: none).",
        )
        has_email = cdk.CfnCondition(
            self,
            "HasAlarmEmail",
            expression=cdk.Fn.condition_not(cdk.Fn.condition_equals(email, "")),
        )
        subscription = sns.CfnSubscription(
            self,
            "AlarmEmailSubscription",
            topic_arn=topic.topic_arn,
            protocol="email",
            endpoint=email.value_as_string,
        )
        subscription.cfn_options.condition = has_email
        return topic


def lake_rules(retention_days: int) -> list[s3.LifecycleRule]:
    """Expire events and quarantine samples after CLICKSTREAM_LAKE_RETENTION_DAYS (0: never)."""
    if retention_days <= 0:
        return []
    return [
        s3.LifecycleRule(
            id=f"expire-{prefix.rstrip('/')}",
            prefix=prefix,
            expiration=cdk.Duration.days(retention_days),
        )
        for prefix in (EVENTS_PREFIX, QUARANTINE_PREFIX)
    ]


def log_bucket(scope: Construct, name: str, cloudfront: bool = False) -> s3.Bucket:
    """A bucket for S3 server access logs (and CloudFront's standard logs), kept 90 days."""
    bucket = s3.Bucket(
        scope,
        name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        # CloudFront's standard logs are written with ACLs; S3's access logs need none
        object_ownership=s3.ObjectOwnership.OBJECT_WRITER if cloudfront else None,
        lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    suppress(bucket, {"S1": "This is an access-log bucket; logging it into itself would loop."})
    return bucket


def private_bucket(
    scope: Construct,
    name: str,
    logs: s3.IBucket,
    log_prefix: str,
    rules: list[s3.LifecycleRule],
) -> s3.Bucket:
    """A bucket with public access blocked, encryption at rest, TLS only and access logs."""
    return s3.Bucket(
        scope,
        name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        server_access_logs_bucket=logs,
        server_access_logs_prefix=log_prefix,
        lifecycle_rules=[
            s3.LifecycleRule(abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
            *rules,
        ],
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
