"""The VPC as drawn (rows 10, 15, 19): one public subnet for the shop (OLTP), one private
isolated subnet for analytics, an internet gateway for the public one only, no NAT gateway;
the S3 gateway endpoint and the interface endpoints the private parts call instead."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.common import retention

# What the private parts call without a NAT: Session Manager (ssm, ssmmessages, ec2messages),
# SNS (the ETL's failure notice), CloudWatch Logs and metrics (the host's agent), and Secrets
# Manager (the warehouse passwords). S3 goes through the gateway endpoint.
INTERFACE_ENDPOINTS = {
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "SsmMessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "Ec2Messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    "Sns": ec2.InterfaceVpcEndpointAwsService.SNS,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}
PRIVATE = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
PUBLIC = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)


class NetworkStack(cdk.Stack):
    """The VPC (new, or an existing one), its endpoints and the analytics security groups."""

    def __init__(
        self, scope: Construct, construct_id: str, settings: AwsDeploySettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vpc = self._vpc(settings)
        self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[PRIVATE]
        )
        endpoints = ec2.SecurityGroup(
            self,
            "EndpointsSg",
            vpc=self.vpc,
            description="HTTPS to the interface endpoints from inside the VPC",
            allow_all_outbound=False,
        )
        endpoints.add_ingress_rule(
            ec2.Peer.ipv4(settings.aws_vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
        )
        for name, service in INTERFACE_ENDPOINTS.items():
            self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=PRIVATE,
                security_groups=[endpoints],
                private_dns_enabled=True,
                open=False,  # the group's one rule above already admits the VPC
            )
        self.etl_sg = ec2.SecurityGroup(
            self,
            "EtlSg",
            vpc=self.vpc,
            description="The ETL Lambda: the warehouse on 5432 and AWS endpoints on 443",
            allow_all_outbound=False,
        )
        self.warehouse_sg = ec2.SecurityGroup(
            self,
            "WarehouseSg",
            vpc=self.vpc,
            description="The analytics host: PostgreSQL from the ETL only; 3838 from nowhere",
            allow_all_outbound=False,
        )
        self.warehouse_sg.add_ingress_rule(
            self.etl_sg, ec2.Port.tcp(5432), "PostgreSQL from the ETL Lambda only"
        )
        for group in (self.etl_sg, self.warehouse_sg):
            # No route leaves the isolated subnet: 443 reaches only the endpoints and S3.
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS endpoints and S3")
        self.etl_sg.add_egress_rule(
            self.warehouse_sg, ec2.Port.tcp(5432), "PostgreSQL on the analytics host"
        )

    def _vpc(self, settings: AwsDeploySettings) -> ec2.IVpc:
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=retention(settings))
        destination = ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs)
        if settings.aws_vpc_id:
            vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=settings.aws_vpc_id,
                vpc_cidr_block=settings.aws_vpc_cidr,
                availability_zones=[_required(settings, "aws_availability_zone")],
                public_subnet_ids=[_required(settings, "aws_public_subnet_id")],
                isolated_subnet_ids=[_required(settings, "aws_private_subnet_id")],
                isolated_subnet_route_table_ids=[_required(settings, "aws_private_route_table_id")],
            )
            ec2.FlowLog(
                self,
                "VpcFlowLog",
                resource_type=ec2.FlowLogResourceType.from_vpc(vpc),
                destination=destination,
            )
            return vpc
        return ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(settings.aws_vpc_cidr),
            max_azs=1,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="oltp", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="analytics", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            flow_logs={"all": ec2.FlowLogOptions(destination=destination)},
        )


def _required(settings: AwsDeploySettings, name: str) -> str:
    value = getattr(settings, name)
    if not value:
        raise ValueError(
            f"CLICKSTREAM_{name.upper()} is required when CLICKSTREAM_AWS_VPC_ID is set"
        )
    return str(value)
