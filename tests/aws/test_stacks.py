"""The CDK app, synthesized once per run (tests/aws/conftest.py): every row of the topology in
issue 17 is in the templates, cfn-lint finds no error and cdk-nag's AwsSolutions checks pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.aws.conftest import DEPLOY_SETTINGS, Synthesized
from tests.conftest import require_module

require_module("aws_cdk", "the AWS extra, which `make test` installs")
from aws_cdk.assertions import Match, Template  # noqa: E402 (after the check above)

PARTS = ("network", "data", "ingest", "shop", "analytics", "etl")


def text(value: Any) -> str:
    """A template value (with its intrinsic functions) as one searchable string."""
    return json.dumps(value, sort_keys=True)


def only(found: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(found) == 1, sorted(found)
    return next(iter(found.items()))


def statements(synth: Synthesized, part: str, role_id_prefix: str) -> list[dict[str, Any]]:
    """Every policy statement attached to the stack's role whose logical id starts so."""
    found = []
    for body in synth.resources(part, "AWS::IAM::Policy").values():
        roles = text(body["Properties"].get("Roles"))
        if f'"Ref": "{role_id_prefix}' in roles:
            found += body["Properties"]["PolicyDocument"]["Statement"]
    return found


def ingress_rules(synth: Synthesized, part: str) -> list[dict[str, Any]]:
    """Every ingress rule of the stack's groups: inline ones and separate resources."""
    groups = synth.resources(part, "AWS::EC2::SecurityGroup").values()
    inline = [r for g in groups for r in g["Properties"].get("SecurityGroupIngress", [])]
    separate = synth.resources(part, "AWS::EC2::SecurityGroupIngress").values()
    return inline + [body["Properties"] for body in separate]


def actions(statement: dict[str, Any]) -> list[str]:
    listed = statement["Action"]
    return [listed] if isinstance(listed, str) else list(listed)


def test_six_stacks_are_synthesized_offline_and_counted(synthesized: Synthesized) -> None:
    assert sorted(synthesized.templates) == sorted(f"Cs-{part}" for part in PARTS)
    for name, template in synthesized.templates.items():
        assert f"{name}: {len(template['Resources'])} resources" in synthesized.output
    assert "cdk-nag AwsSolutions: no finding" in synthesized.output


def test_cfn_lint_reports_no_error_on_any_template(synthesized: Synthesized) -> None:
    paths = sorted(str(p) for p in synthesized.outdir.glob("*.template.json"))
    assert len(paths) == len(PARTS)
    lint = subprocess.run(
        [sys.executable, "-m", "cfnlint", "--format", "parseable", *paths],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in lint.stdout.splitlines() if ":E" in line]
    assert errors == []
    assert lint.returncode & 2 == 0, lint.stdout + lint.stderr  # bit 2: an error was found


def test_cdk_nag_aws_solutions_checks_pass(synthesized: Synthesized) -> None:
    assert synthesized.nag_findings == []
    reports = list(synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"))
    assert len(reports) == len(PARTS)
    for report in reports:
        lines = report.read_text().splitlines()[1:]
        assert lines, report.name
        assert not [line for line in lines if '"Non-Compliant"' in line], report.name
        for line in lines:  # every suppression carries its reason
            if '"Suppressed"' in line:
                assert len(line.split('","')[3]) > 20, line


def test_vpc_has_one_public_and_one_isolated_subnet_and_no_nat(
    synthesized: Synthesized,
) -> None:
    network = Template.from_json(synthesized.template("network"))
    network.resource_count_is("AWS::EC2::NatGateway", 0)
    network.resource_count_is("AWS::EC2::InternetGateway", 1)
    subnets = synthesized.resources("network", "AWS::EC2::Subnet")
    public = [s for s in subnets.values() if s["Properties"]["MapPublicIpOnLaunch"]]
    private = [s for s in subnets.values() if not s["Properties"]["MapPublicIpOnLaunch"]]
    assert (len(public), len(private)) == (1, 1)
    for template in synthesized.templates.values():
        assert "AWS::EC2::NatGateway" not in text(template)


def test_private_route_table_has_no_route_to_the_internet_gateway(
    synthesized: Synthesized,
) -> None:
    associations = synthesized.resources("network", "AWS::EC2::SubnetRouteTableAssociation")
    subnets = synthesized.resources("network", "AWS::EC2::Subnet")
    private_subnet = next(
        k for k, s in subnets.items() if not s["Properties"]["MapPublicIpOnLaunch"]
    )
    private_table = next(
        a["Properties"]["RouteTableId"]["Ref"]
        for a in associations.values()
        if a["Properties"]["SubnetId"] == {"Ref": private_subnet}
    )
    routes = synthesized.resources("network", "AWS::EC2::Route").values()
    assert routes
    to_gateway = [r for r in routes if "GatewayId" in r["Properties"]]
    assert to_gateway and all(
        r["Properties"]["RouteTableId"] != {"Ref": private_table} for r in to_gateway
    )
    assert not [r for r in routes if r["Properties"]["RouteTableId"] == {"Ref": private_table}]


def test_s3_gateway_endpoint_serves_the_private_subnet(synthesized: Synthesized) -> None:
    endpoints = synthesized.resources("network", "AWS::EC2::VPCEndpoint")
    gateways = [
        e for e in endpoints.values() if e["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    assert len(gateways) == 1
    (gateway,) = gateways
    assert text(gateway["Properties"]["ServiceName"]).endswith('".s3"]]}')
    assert "analytics" in text(gateway["Properties"]["RouteTableIds"])


@pytest.mark.parametrize(
    "service", ["ssm", "ssmmessages", "ec2messages", "sns", "logs", "monitoring", "secretsmanager"]
)
def test_interface_endpoint_in_the_private_subnet(synthesized: Synthesized, service: str) -> None:
    endpoints = synthesized.resources("network", "AWS::EC2::VPCEndpoint").values()
    matching = [
        e for e in endpoints if text(e["Properties"]["ServiceName"]).endswith(f'".{service}"]]}}')
    ]
    assert len(matching) == 1, service
    properties = matching[0]["Properties"]
    assert properties["PrivateDnsEnabled"] is True
    assert "analytics" in text(properties["SubnetIds"])


def test_raw_bucket_is_private_encrypted_tls_only_with_retention_lifecycle(
    synthesized: Synthesized,
) -> None:
    data = Template.from_json(synthesized.template("data"))
    days = DEPLOY_SETTINGS["lake_retention_days"]
    data.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": Match.object_like({}),
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like({"Prefix": "events/", "ExpirationInDays": days}),
                        Match.object_like({"Prefix": "quarantine/", "ExpirationInDays": days}),
                    ]
                )
            },
        },
    )
    policies = synthesized.resources("data", "AWS::S3::BucketPolicy").values()
    raw_policy = next(p for p in policies if "Raw" in text(p["Properties"]["Bucket"]))
    assert '"aws:SecureTransport": "false"' in text(raw_policy)


def test_media_bucket_is_separate_and_read_by_cloudfront_through_oac(
    synthesized: Synthesized,
) -> None:
    shop = Template.from_json(synthesized.template("shop"))
    shop.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    media_id, _ = only(
        {
            k: v
            for k, v in synthesized.resources("shop", "AWS::S3::Bucket").items()
            if k.startswith("Media")
        }
    )
    policy = next(
        p
        for p in synthesized.resources("shop", "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": media_id}
    )
    assert "cloudfront.amazonaws.com" in text(policy)
    assert '"aws:SecureTransport": "false"' in text(policy)
    assert media_id not in text(synthesized.template("data"))


def test_cloudfront_sends_pages_to_the_shop_and_files_to_the_media_bucket(
    synthesized: Synthesized,
) -> None:
    _, distribution = only(synthesized.resources("shop", "AWS::CloudFront::Distribution"))
    config = distribution["Properties"]["DistributionConfig"]
    by_id = {o["Id"]: o for o in config["Origins"]}
    default_origin = by_id[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert default_origin["CustomOriginConfig"]["HTTPPort"] == DEPLOY_SETTINGS["shop_port"]
    assert "PublicDnsName" in text(default_origin["DomainName"])
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert sorted(behaviors) == ["/media/*", "/static/*"]
    for behavior in behaviors.values():
        origin = by_id[behavior["TargetOriginId"]]
        assert "OriginAccessControlId" in origin and "S3OriginConfig" in origin
    _, policy = only(synthesized.resources("shop", "AWS::CloudFront::CachePolicy"))
    assert policy["Properties"]["CachePolicyConfig"]["DefaultTTL"] == 365 * 24 * 3600


def test_storefront_runs_on_the_public_host_and_its_database_is_local_only(
    synthesized: Synthesized,
) -> None:
    _, instance = only(synthesized.resources("shop", "AWS::EC2::Instance"))
    script = text(instance["Properties"]["UserData"])
    assert "clickstream shop serve" in script and "postgresql15-server" in script
    assert "CLICKSTREAM_AUTH_COGNITO_POOL_ID=" in script and "ExportsOutputRefUsers" in script
    assert "subnet" in text(instance["Properties"]).lower()
    ingress = ingress_rules(synthesized, "shop")
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(8000, 8000)]
    assert ingress[0]["SourcePrefixListId"] == {"Ref": "CloudFrontPrefixListId"}


def test_cognito_pool_and_client_and_the_ingest_verifies_their_tokens(
    synthesized: Synthesized,
) -> None:
    data = Template.from_json(synthesized.template("data"))
    data.resource_count_is("AWS::Cognito::UserPool", 1)
    data.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {"ExplicitAuthFlows": Match.array_with(["ALLOW_USER_PASSWORD_AUTH"])},
    )
    _, function = only(synthesized.resources("ingest", "AWS::Lambda::Function"))
    env = function["Properties"]["Environment"]["Variables"]
    assert "ExportsOutputRefUsers" in text(env["CLICKSTREAM_INGEST_JWKS_URL"])  # the pool's id
    assert text(env["CLICKSTREAM_INGEST_JWKS_URL"]).endswith('"/.well-known/jwks.json"]]}')
    assert "cognito-idp." in text(env["CLICKSTREAM_INGEST_JWT_ISSUER"])
    assert "UserPoolClient" in text(env["CLICKSTREAM_INGEST_JWT_AUDIENCE"]) or "Shop" in text(
        env["CLICKSTREAM_INGEST_JWT_AUDIENCE"]
    )


def test_http_api_routes_post_clickstream_with_cors_and_stage_throttling(
    synthesized: Synthesized,
) -> None:
    ingest = Template.from_json(synthesized.template("ingest"))
    ingest.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": Match.object_like({"AllowOrigins": ["https://shop.example.com"]}),
        },
    )
    ingest.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "POST /clickstream"})
    ingest.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "DefaultRouteSettings": {"ThrottlingRateLimit": 40, "ThrottlingBurstLimit": 120},
            "AccessLogSettings": Match.object_like({}),
        },
    )


def test_ingest_function_and_its_role_may_only_put_events_and_quarantine(
    synthesized: Synthesized,
) -> None:
    _, function = only(synthesized.resources("ingest", "AWS::Lambda::Function"))
    properties = function["Properties"]
    assert properties["Handler"] == "clickstream.aws.ingest_lambda.handler"
    assert properties["Runtime"].startswith("python3.")
    assert "VpcConfig" not in properties
    found = statements(synthesized, "ingest", "IngestRole")
    s3 = [s for s in found if any(a.startswith("s3:") for a in actions(s))]
    assert len(s3) == 1 and actions(s3[0]) == ["s3:PutObject"]
    resources = [text(r) for r in s3[0]["Resource"]]
    assert len(resources) == 2
    assert resources[0].endswith('"/events/*"]]}') and resources[1].endswith('"/quarantine/*"]]}')
    others = {a for s in found for a in actions(s) if not a.startswith("s3:")}
    assert others == {"logs:CreateLogStream", "logs:PutLogEvents"}
    _, role = only(synthesized.resources("ingest", "AWS::IAM::Role"))
    assert "ManagedPolicyArns" not in role["Properties"]


def test_schedule_rule_takes_its_expression_from_settings_and_a_switch(
    synthesized: Synthesized,
) -> None:
    _, rule = only(synthesized.resources("etl", "AWS::Events::Rule"))
    assert rule["Properties"]["ScheduleExpression"] == DEPLOY_SETTINGS["etl_schedule"]
    assert rule["Properties"]["State"] == {
        "Fn::If": ["EtlScheduleIsEnabled", "ENABLED", "DISABLED"]
    }
    parameter = synthesized.template("etl")["Parameters"]["EtlScheduleEnabled"]
    assert parameter["AllowedValues"] == ["true", "false"]


def test_etl_function_is_an_image_in_the_private_subnet_reading_only_the_lake(
    synthesized: Synthesized,
) -> None:
    _, function = only(synthesized.resources("etl", "AWS::Lambda::Function"))
    properties = function["Properties"]
    assert properties["PackageType"] == "Image"
    assert "analyticsSubnet" in text(properties["VpcConfig"]["SubnetIds"])
    env = properties["Environment"]["Variables"]
    assert "CLICKSTREAM_AWS_ALARM_TOPIC_ARN" in env and "CLICKSTREAM_LAKE_URL" in env
    found = statements(synthesized, "etl", "EtlRole")
    s3 = sorted(a for s in found for a in actions(s) if a.startswith("s3:"))
    assert s3 == ["s3:GetObject", "s3:ListBucket"]
    get = next(s for s in found if actions(s) == ["s3:GetObject"])
    assert text(get["Resource"]).endswith('"/events/*"]]}')
    assert any("sns:Publish" in actions(s) for s in found)


def test_analytics_host_is_private_runs_postgres_and_dashboards_and_only_the_etl_reaches_it(
    synthesized: Synthesized,
) -> None:
    _, instance = only(synthesized.resources("analytics", "AWS::EC2::Instance"))
    properties = instance["Properties"]
    (interface,) = properties["NetworkInterfaces"]
    assert "analyticsSubnet" in text(interface["SubnetId"])
    assert interface["AssociatePublicIpAddress"] is False
    script = text(properties["UserData"])
    for needed in ("postgresql15-server", "clickstream-dashboard", "3838", "--no-index"):
        assert needed in script, needed
    ingress = ingress_rules(synthesized, "network")
    warehouse = [r for r in ingress if "WarehouseSg" in text(r.get("GroupId"))]
    assert len(warehouse) == 1
    assert (warehouse[0]["FromPort"], warehouse[0]["ToPort"]) == (5432, 5432)
    assert "EtlSg" in text(warehouse[0]["SourceSecurityGroupId"])
    assert not [r for r in ingress if r.get("FromPort") == 3838]


def test_session_manager_role_and_the_instance_id_output(synthesized: Synthesized) -> None:
    roles = synthesized.resources("analytics", "AWS::IAM::Role").values()
    assert any("AmazonSSMManagedInstanceCore" in text(r["Properties"]) for r in roles)
    assert "AnalyticsInstanceId" in synthesized.template("analytics")["Outputs"]


def test_one_role_per_function(synthesized: Synthesized) -> None:
    for part in ("ingest", "etl"):
        functions = synthesized.resources(part, "AWS::Lambda::Function").values()
        roles = {text(f["Properties"]["Role"]) for f in functions}
        assert len(roles) == len(list(functions)) == 1


def test_every_log_group_has_retention(synthesized: Synthesized) -> None:
    groups = [
        body
        for part in PARTS
        for body in synthesized.resources(part, "AWS::Logs::LogGroup").values()
    ]
    assert len(groups) >= 4
    assert {g["Properties"].get("RetentionInDays") for g in groups} == {14}


def test_alarms_notify_the_topic_and_one_dashboard_shows_the_metrics(
    synthesized: Synthesized,
) -> None:
    alarms = {
        name: body
        for part in ("ingest", "etl")
        for name, body in synthesized.resources(part, "AWS::CloudWatch::Alarm").items()
    }
    for wanted in ("EtlRunFailed", "NothingLoaded", "Ingest5xxRate", "Throttles", "NearTimeout"):
        assert any(wanted in name for name in alarms), wanted
    for name, alarm in alarms.items():
        assert "Alarms" in text(alarm["Properties"]["AlarmActions"]), name
    _, board = only(synthesized.resources("etl", "AWS::CloudWatch::Dashboard"))
    body = text(board["Properties"]["DashboardBody"])
    for metric in ("Accepted", "Rejected", "EtlLoaded", "EtlDuplicates", "EtlDurationMs"):
        assert metric in body, metric


def test_alarm_topic_is_encrypted_with_an_optional_email_subscription(
    synthesized: Synthesized,
) -> None:
    data = synthesized.template("data")
    _, topic = only(synthesized.resources("data", "AWS::SNS::Topic"))
    assert "KmsMasterKeyId" in topic["Properties"]
    _, subscription = only(synthesized.resources("data", "AWS::SNS::Subscription"))
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert data["Parameters"]["AlarmEmail"]["Default"] == ""


def test_templates_name_no_account_or_region(synthesized: Synthesized) -> None:
    for name, template in synthesized.templates.items():
        body = text(template["Resources"])
        assert "123456789012" not in body and "us-east-1" not in body, name


def test_synth_took_a_reported_time(synthesized: Synthesized) -> None:
    # not a timed assertion: the figure is printed for the report (docs/aws.md)
    print(
        f"synth {synthesized.seconds:.1f}s, resources:",
        {name: len(t["Resources"]) for name, t in synthesized.templates.items()},
    )
    assert synthesized.seconds > 0


def test_an_existing_vpc_gets_the_endpoints_and_groups_instead_of_a_new_vpc(
    tmp_path: Path,
) -> None:
    import aws_cdk as cdk

    from clickstream.aws.configuration import AwsDeploySettings
    from clickstream.aws.stacks.network import NetworkStack

    existing = {
        "aws_vpc_id": "vpc-0abc",
        "aws_availability_zone": "eu-west-1a",
        "aws_public_subnet_id": "subnet-0pub",
        "aws_private_subnet_id": "subnet-0priv",
        "aws_private_route_table_id": "rtb-0priv",
    }
    with pytest.raises(ValueError, match="CLICKSTREAM_AWS_AVAILABILITY_ZONE"):
        NetworkStack(cdk.App(), "half", AwsDeploySettings(data_dir=tmp_path, aws_vpc_id="vpc-1"))
    stack = NetworkStack(cdk.App(), "into", AwsDeploySettings(data_dir=tmp_path, **existing))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPC", 0)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway", "RouteTableIds": ["rtb-0priv"]}
    )
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"SubnetIds": ["subnet-0priv"], "PrivateDnsEnabled": True}
    )
    template.has_resource_properties("AWS::EC2::FlowLog", {"ResourceId": "vpc-0abc"})
