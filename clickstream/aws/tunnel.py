"""The Session Manager port forwarding that opens the private host's dashboards locally."""

from __future__ import annotations

import json
from typing import Any

ANALYTICS_OUTPUT = "AnalyticsInstanceId"


def tunnel_command(
    instance_id: str, region: str | None, local_port: int, remote_port: int
) -> list[str]:
    """`aws ssm start-session` forwarding `local_port` here to `remote_port` on the instance."""
    parameters = {"portNumber": [str(remote_port)], "localPortNumber": [str(local_port)]}
    command = [
        "aws",
        "ssm",
        "start-session",
        "--target",
        instance_id,
        "--document-name",
        "AWS-StartPortForwardingSession",
        "--parameters",
        json.dumps(parameters, separators=(",", ":")),
    ]
    if region:
        command += ["--region", region]
    return command


def analytics_instance_id(cloudformation: Any, stack_name: str) -> str:
    """The analytics host's instance id, from the stack's output (needs AWS credentials)."""
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    for output in stacks[0].get("Outputs", []):
        if output["OutputKey"] == ANALYTICS_OUTPUT:
            return str(output["OutputValue"])
    raise LookupError(f"stack {stack_name} has no {ANALYTICS_OUTPUT} output")
