"""Fixtures for the AWS tests: moto's server on loopback (S3, SNS, SQS, Cognito) for the
Lambda handlers, and one CDK synth per test run for the stacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_module

boto3 = require_module("boto3", "the AWS extra, which `make test` installs")
moto_server = require_module("moto.server", "the dev extra's moto[server]")

REGION = "us-east-1"


@dataclass
class Moto:
    """moto's server on a free loopback port; its clients and a fresh bucket per test."""

    endpoint: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def new_bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:12]}"
        self.client("s3").create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto server for the session (each test makes its own bucket, topic or pool)."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """moto, with the environment a Lambda would have pointing boto3 (and s3fs) at it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    return Moto(moto_endpoint)


@dataclass
class Synthesized:
    """The CDK app synthesized once: its cloud assembly folder and each stack's template."""

    outdir: Path
    templates: dict[str, dict[str, Any]]
    nag_findings: list[str]
    seconds: float
    output: str

    def template(self, part: str) -> dict[str, Any]:
        return self.templates[f"{STACK_PREFIX}-{part}"]

    def resources(self, part: str, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of type `kind` in stack `part`, by logical id."""
        found = self.template(part)["Resources"].items()
        return {name: body for name, body in found if body["Type"] == kind}


STACK_PREFIX = "Cs"
# Settings that differ from the defaults, so that the template shows they are honoured.
DEPLOY_SETTINGS = {
    "aws_stack_prefix": STACK_PREFIX,
    "lake_retention_days": 400,
    "ingest_cors_origins": "https://shop.example.com",
    "ingest_rate_limit_per_second": 40,
    "ingest_rate_limit_burst": 120,
    "etl_schedule": "rate(2 hours)",
    "aws_log_retention_days": 14,
    "shop_port": 8000,
}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The whole app synthesized once per test run through the CLI, offline: no AWS
    credentials, no bundling (`clickstream deploy aws synth --out DIR`)."""
    require_module("aws_cdk", "the AWS extra, which `make test` installs")
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLICKSTREAM_", "AWS_"))}
    env.update(
        {f"CLICKSTREAM_{name.upper()}": str(value) for name, value in DEPLOY_SETTINGS.items()}
    )
    env["CLICKSTREAM_DATA_DIR"] = str(outdir / "data")
    started = time.perf_counter()
    synth = subprocess.run(
        [sys.executable, "-m", "clickstream", "deploy", "aws", "synth", "--out", str(outdir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    assert synth.returncode in (0, 1), synth.stderr
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }
    findings = [line for line in synth.stderr.splitlines() if line.startswith("cdk-nag:")]
    if synth.returncode:
        findings.append(synth.stderr.strip().splitlines()[-1])
    return Synthesized(outdir, templates, findings, seconds, synth.stdout)
