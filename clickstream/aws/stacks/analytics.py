"""The private analytics host as drawn (rows 12, 13, 14): PostgreSQL (the warehouse) and the
dashboards on 127.0.0.1:3838 as systemd services, no public address, reached with Session
Manager port forwarding (`clickstream deploy aws tunnel`)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.assets import Wheelhouse, bundled
from clickstream.aws.stacks.common import source_root
from clickstream.aws.stacks.hosts import ANALYTICS
from clickstream.aws.stacks.nag import suppress
from clickstream.aws.stacks.network import PRIVATE, NetworkStack
from clickstream.warehouse.roles import ETL_ROLE


def wheelhouse(scope: Construct) -> assets.Asset:
    """The package and every wheel it needs, as one zip the hosts fetch from S3."""
    root = source_root()
    return assets.Asset(
        scope,
        "Wheelhouse",
        path=str(root / "clickstream"),
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        bundling=bundled(Wheelhouse(root)),
    )


def host(
    scope: Construct,
    name: str,
    settings: AwsDeploySettings,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    group: ec2.ISecurityGroup,
    public: bool,
) -> ec2.Instance:
    """An Amazon Linux 2023 instance with Session Manager, IMDSv2 and an encrypted disk."""
    role = iam.Role(
        scope,
        f"{name}Role",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")
        ],
    )
    suppress(
        role,
        {
            "IAM4": "AmazonSSMManagedInstanceCore is AWS's own least-privilege policy for "
            "Session Manager, the only way into the host.",
        },
        applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore"],
    )
    instance = ec2.Instance(
        scope,
        name,
        vpc=vpc,
        vpc_subnets=subnets,
        security_group=group,
        instance_type=ec2.InstanceType(settings.aws_instance_type),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        role=role,
        require_imdsv2=True,
        detailed_monitoring=True,
        associate_public_ip_address=public,
        block_devices=[
            ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(
                    30, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                ),
            )
        ],
    )
    suppress(
        instance,
        {
            "EC29": "The host is rebuilt from the lake and its asset (`etl rebuild`); "
            "termination protection would only block `cdk destroy`.",
        },
    )
    return instance


class AnalyticsStack(cdk.Stack):
    """The private warehouse and dashboard host and the ETL role's password."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: AwsDeploySettings,
        network: NetworkStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.etl_secret = secretsmanager.Secret(
            self,
            "EtlPassword",
            description="Password of the warehouse's ETL role (set on the host at boot)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=f'{{"username": "{ETL_ROLE}"}}',
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=32,
            ),
        )
        suppress(
            self.etl_secret,
            {
                "SMG4": "The host sets this password into PostgreSQL at first boot; a "
                "rotation Lambda would need its own path into the private subnet. Rotate "
                "by updating the secret and re-running the boot script.",
            },
        )
        self.instance = host(
            self,
            "Host",
            settings,
            network.vpc,
            PRIVATE,
            network.warehouse_sg,
            public=False,
        )
        wheels = wheelhouse(self)
        wheels.grant_read(self.instance.role)
        self.etl_secret.grant_read(self.instance.role)
        self.instance.add_user_data(
            ANALYTICS.format(
                wheels=wheels.s3_object_url,
                vpc_cidr=network.vpc.vpc_cidr_block,
                etl_secret=self.etl_secret.secret_arn,
            )
        )
        suppress(
            self.instance.role,
            {
                "IAM5": "Reading the wheelhouse asset: CDK grants s3:GetObject* and List* on "
                "the asset bucket's objects, which hold only deployment assets.",
            },
        )
        cdk.CfnOutput(self, "AnalyticsInstanceId", value=self.instance.instance_id)
        cdk.CfnOutput(self, "WarehouseAddress", value=self.instance.instance_private_ip)
