"""`clickstream deploy aws tunnel`, the hosts' boot scripts and the AWS settings' docs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.tunnel import analytics_instance_id, tunnel_command
from clickstream.cli.main import cli
from clickstream.runtime.configuration import all_variables
from clickstream.settings import variables
from tests.aws.conftest import Moto

ROOT = Path(__file__).resolve().parents[2]


def test_tunnel_prints_the_port_forwarding_to_the_dashboards() -> None:
    result = CliRunner().invoke(
        cli, ["deploy", "aws", "tunnel", "--instance-id", "i-0abc", "--region", "eu-west-1"]
    )
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert line.startswith("aws ssm start-session --target i-0abc ")
    assert "--document-name AWS-StartPortForwardingSession" in line
    assert '{"portNumber":["3838"],"localPortNumber":["3838"]}' in line
    assert line.endswith("--region eu-west-1")


def test_tunnel_finds_the_instance_in_the_analytics_stack_output(moto: Moto) -> None:
    cloudformation = moto.client("cloudformation")
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"AnalyticsInstanceId": {"Value": "i-0feed"}},
    }
    cloudformation.create_stack(StackName="Cs-analytics", TemplateBody=json.dumps(template))
    assert analytics_instance_id(cloudformation, "Cs-analytics") == "i-0feed"


def test_tunnel_command_forwards_chosen_ports() -> None:
    command = tunnel_command("i-1", None, 9000, 3838)
    assert "--region" not in command
    assert json.loads(command[command.index("--parameters") + 1]) == {
        "portNumber": ["3838"],
        "localPortNumber": ["9000"],
    }


@pytest.mark.parametrize("script", ["ANALYTICS", "SHOP"])
def test_host_boot_scripts_are_valid_bash(script: str, tmp_path: Path) -> None:
    from clickstream.aws.stacks import hosts

    values = {
        "wheels": "s3://assets/wheels.zip",
        "vpc_cidr": "10.42.0.0/16",
        "etl_secret": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
        "port": 8000,
        "media_bucket": "media",
        "ingest_url": "https://api.example/clickstream",
        "pool_id": "eu-west-1_abc",
        "client_id": "client",
        "region": "eu-west-1",
    }
    path = tmp_path / "boot.sh"
    path.write_text("#!/bin/bash\n" + getattr(hosts, script).format(**values))
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert not re.search(r"\{[a-z_]+\}", path.read_text())  # every placeholder filled


def test_every_aws_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    ours = set(variables(AwsDeploySettings)) - set(all_variables())
    assert ours and all(name.startswith("CLICKSTREAM_AWS_") for name in ours)
    assert sorted(name for name in ours if name not in docs) == []


@pytest.mark.parametrize("command", [["synth"], ["tunnel"]])
def test_deploy_commands_explain_themselves_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["deploy", "aws", *command, "--help"])
    assert result.exit_code == 0
    assert "Example: clickstream deploy aws" in result.output
