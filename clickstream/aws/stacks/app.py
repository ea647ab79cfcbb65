"""The CDK app: six stacks from the settings, checked by cdk-nag's AwsSolutions pack.

`build_app` builds it in-process (tests, `clickstream deploy aws synth`); `python -m
clickstream.aws.stacks` is what `npx aws-cdk deploy --app ...` runs (docs/aws.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import cx_api
from cdk_nag import AwsSolutionsChecks

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.analytics import AnalyticsStack
from clickstream.aws.stacks.data import DataStack
from clickstream.aws.stacks.etl import EtlStack
from clickstream.aws.stacks.ingest import IngestStack
from clickstream.aws.stacks.network import NetworkStack
from clickstream.aws.stacks.shop import ShopStack


@dataclass
class Platform:
    """The app and its stacks, by part."""

    app: cdk.App
    network: NetworkStack
    data: DataStack
    ingest: IngestStack
    shop: ShopStack
    analytics: AnalyticsStack
    etl: EtlStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.network, self.data, self.ingest, self.shop, self.analytics, self.etl]


def build_app(
    settings: AwsDeploySettings, outdir: Path | None = None, bundle: bool = True
) -> Platform:
    """The six stacks, environment-agnostic (any account and region), with cdk-nag on.

    `bundle=False` skips building the assets (no pip, no Docker): the templates are the same.
    """
    # S3 access logs delivered under a bucket policy, not the legacy log-delivery ACL
    context: dict[str, object] = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(outdir=str(outdir) if outdir else None, context=context)
    prefix = settings.aws_stack_prefix
    network = NetworkStack(app, f"{prefix}-network", settings)
    data = DataStack(app, f"{prefix}-data", settings)
    ingest = IngestStack(app, f"{prefix}-ingest", settings, data)
    shop = ShopStack(app, f"{prefix}-shop", settings, network, data, ingest)
    analytics = AnalyticsStack(app, f"{prefix}-analytics", settings, network)
    etl = EtlStack(app, f"{prefix}-etl", settings, network, data, ingest, analytics)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True, reports=True))
    return Platform(app, network, data, ingest, shop, analytics, etl)


def nag_findings(assembly: cx_api.CloudAssembly) -> list[str]:
    """Every AwsSolutions error or warning cdk-nag left on the synthesized stacks."""
    return [
        f"{stack.stack_name} {message.id}: {message.entry.data}"
        for stack in assembly.stacks
        for message in stack.messages
        if "AwsSolutions-" in str(message.entry.data)
    ]
