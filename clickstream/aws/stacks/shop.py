"""The storefront as drawn (rows 2, 4, 20): the shop and its OLTP PostgreSQL on one public EC2
host, CloudFront as the one entry point (pages to the shop, `/media/*` and `/static/*` to the
media bucket through origin access control). Why an EC2 host: docs/aws.md."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.analytics import host, wheelhouse
from clickstream.aws.stacks.data import DataStack, log_bucket, private_bucket
from clickstream.aws.stacks.hosts import SHOP
from clickstream.aws.stacks.ingest import IngestStack
from clickstream.aws.stacks.nag import suppress
from clickstream.aws.stacks.network import PUBLIC, NetworkStack

# Media keys carry a content hash and the tracker's name its own: cache them for a year.
FINGERPRINTED_TTL = cdk.Duration.days(365)


class ShopStack(cdk.Stack):
    """The shop host, the media bucket and the CloudFront distribution in front."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: AwsDeploySettings,
        network: NetworkStack,
        data: DataStack,
        ingest: IngestStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.logs = log_bucket(self, "ShopLogs", cloudfront=True)
        self.media = private_bucket(self, "Media", self.logs, "media/", [])
        prefix_list = cdk.CfnParameter(
            self,
            "CloudFrontPrefixListId",
            type="String",
            allowed_pattern=r"^pl-[0-9a-f]+$",
            description="The region's managed prefix list "
            "com.amazonaws.global.cloudfront.origin-facing (docs/aws.md shows how to find it).",
        )
        group = ec2.SecurityGroup(
            self,
            "ShopSg",
            vpc=network.vpc,
            description="The shop: its port from CloudFront only; its PostgreSQL is local",
            allow_all_outbound=True,
        )
        group.add_ingress_rule(
            ec2.Peer.prefix_list(prefix_list.value_as_string),
            ec2.Port.tcp(settings.shop_port),
            "The shop's port from CloudFront's origin-facing addresses only",
        )
        self.instance = host(self, "Host", settings, network.vpc, PUBLIC, group, public=True)
        wheels = wheelhouse(self)
        wheels.grant_read(self.instance.role)
        self.media.grant_read_write(self.instance.role)
        self.instance.add_user_data(
            SHOP.format(
                wheels=wheels.s3_object_url,
                port=settings.shop_port,
                media_bucket=self.media.bucket_name,
                ingest_url=f"{ingest.api.api_endpoint}/clickstream",
                pool_id=data.pool.user_pool_id,
                client_id=data.client.user_pool_client_id,
                region=self.region,
            )
        )
        suppress(
            self.instance.role,
            {
                "IAM5": "CDK's read grant on the wheelhouse asset and read-write grant on the "
                "media bucket's objects (product images under fingerprinted keys).",
            },
        )
        self.distribution = self._distribution(settings)
        cdk.CfnOutput(self, "ShopUrl", value=f"https://{self.distribution.domain_name}/")
        cdk.CfnOutput(self, "ShopInstanceId", value=self.instance.instance_id)

    def _distribution(self, settings: AwsDeploySettings) -> cloudfront.Distribution:
        media = origins.S3BucketOrigin.with_origin_access_control(self.media)
        long_cache = cloudfront.CachePolicy(
            self,
            "Fingerprinted",
            comment="Fingerprinted media and static files: cached for a year",
            default_ttl=FINGERPRINTED_TTL,
            max_ttl=FINGERPRINTED_TTL,
            min_ttl=cdk.Duration.days(1),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        files = cloudfront.BehaviorOptions(
            origin=media,
            cache_policy=long_cache,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            compress=True,
        )
        shop = origins.HttpOrigin(
            self.instance.instance_public_dns_name,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            http_port=settings.shop_port,
        )
        distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Clickstream shop: pages from the shop host, files from the media bucket",
            default_behavior=cloudfront.BehaviorOptions(
                origin=shop,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            ),
            additional_behaviors={"/media/*": files, "/static/*": files},
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        )
        suppress(
            distribution,
            {
                "CFR1": "A shop sells where it sells; geographic restriction is the "
                "operator's choice (GeoRestriction), not a default.",
                "CFR2": "AWS WAF is billed per rule and request; attach a web ACL in "
                "accounts that need one (docs/aws.md, cost drivers).",
                "CFR4": "The default *.cloudfront.net certificate allows TLSv1 at the edge; "
                "with your own domain and certificate the TLSv1.2_2021 policy applies.",
                "CFR5": "The origin is the shop host's HTTP port, open only to CloudFront's "
                "origin-facing prefix list; HTTPS to the origin needs a domain certificate.",
            },
        )
        return distribution
