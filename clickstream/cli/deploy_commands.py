"""`clickstream deploy aws synth` and `clickstream deploy aws tunnel` (docs/aws.md)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import click

from clickstream.cli.common import EXIT_USAGE, fail, resolve_settings


@click.group()
def deploy() -> None:
    """Deploy the platform onto a cloud: `deploy aws ...`."""


@deploy.group("aws")
def aws() -> None:
    """The AWS topology as a CDK app (needs `pip install 'clickstream[aws]'`)."""


@aws.command("synth")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cdk.out"),
    show_default=True,
    help="Folder the CloudFormation templates (the cloud assembly) are written to.",
)
@click.option(
    "--bundle/--no-bundle",
    default=False,
    show_default=True,
    help="Also build the Lambda zip and the hosts' wheelhouse (pip); off synthesizes offline.",
)
def synth(out: Path, bundle: bool) -> None:
    """Synthesize the six stacks from the CLICKSTREAM_* settings, with no AWS credentials.

    Prints each stack's resource count and exits 1 when cdk-nag's AwsSolutions checks find
    anything. Example: clickstream deploy aws synth --out cdk.out
    """
    from clickstream.aws.configuration import AwsDeploySettings

    settings = resolve_settings(AwsDeploySettings, "deploy")
    try:
        from clickstream.aws.stacks.app import build_app, nag_findings
    except ImportError as exc:
        fail(f"the AWS extra is missing ({exc.name}): pip install 'clickstream[aws]'", EXIT_USAGE)
    platform = build_app(settings, out, bundle=bundle)
    assembly = platform.app.synth()
    for stack in assembly.stacks:
        click.echo(f"{stack.stack_name}: {len(stack.template['Resources'])} resources")
    findings = nag_findings(assembly)
    for finding in findings:
        click.echo(f"cdk-nag: {finding}", err=True)
    if findings:
        fail(f"{len(findings)} cdk-nag finding(s); templates are in {out}")
    click.echo(f"cdk-nag AwsSolutions: no finding. Templates are in {out}/.")


@aws.command("tunnel")
@click.option("--instance-id", help="The analytics host; default: the analytics stack's output.")
@click.option("--region", help="AWS region of the stacks (default: the AWS CLI's).")
@click.option("--local-port", type=int, default=3838, show_default=True, help="Port here.")
@click.option("--run", is_flag=True, help="Start the session instead of printing the command.")
def tunnel(instance_id: str | None, region: str | None, local_port: int, run: bool) -> None:
    """Print (or --run) the SSM port forwarding that opens the dashboards on localhost.

    Example: clickstream deploy aws tunnel --instance-id i-0123456789abcdef0
    """
    from clickstream.aws.configuration import AwsDeploySettings
    from clickstream.aws.tunnel import analytics_instance_id, tunnel_command

    settings = resolve_settings(AwsDeploySettings, "deploy")
    if not instance_id:
        stack = f"{settings.aws_stack_prefix}-analytics"
        try:
            import boto3

            client = boto3.client("cloudformation", region_name=region)
            instance_id = analytics_instance_id(client, stack)
        except Exception as exc:
            fail(f"could not read the instance id from stack {stack} ({exc}); pass --instance-id")
    command = tunnel_command(instance_id, region, local_port, settings.dashboard_port)
    if not run:
        click.echo(shlex.join(command))
        click.echo(f"# then open http://localhost:{local_port}/", err=True)
        return
    click.echo(f"dashboards on http://localhost:{local_port}/ while this runs (Ctrl-C ends it)")
    sys.exit(subprocess.run(command, check=False).returncode)
