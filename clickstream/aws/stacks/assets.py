"""The code the stacks ship, built on the deploying machine (no Docker needed for the zips).

`cdk deploy` bundles each asset here: the ingest Lambda's zip (our package and the few wheels
its path imports, for Lambda's Linux) and the hosts' wheelhouse (the package and all its
wheels, so the private host installs with no internet). Tests and `deploy aws synth
--no-bundle` skip bundling: the template is the same, only the asset's contents are not built.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

# What `clickstream.aws.ingest_lambda` imports, with their own dependencies resolved by pip.
INGEST_REQUIREMENTS = (
    "msgspec",
    "pydantic",
    "pydantic-settings",
    "python-dotenv",
    "PyJWT[crypto]",
    "structlog",
)
LAMBDA_PYTHON = "3.14"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--quiet", *args], check=True)


@jsii.implements(cdk.ILocalBundling)
class IngestZip:
    """The ingest Lambda's zip: manylinux wheels for Lambda's Python and our package."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        _pip(
            "install",
            "--target",
            output_dir,
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON,
            "--only-binary=:all:",
            *INGEST_REQUIREMENTS,
        )
        shutil.copytree(self.root / "clickstream", Path(output_dir) / "clickstream", ignore=_IGNORE)
        return True


@jsii.implements(cdk.ILocalBundling)
class Wheelhouse:
    """Every wheel the hosts need (`pip wheel` of the package), fetched at deploy time."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        _pip("wheel", "--wheel-dir", output_dir, str(self.root))
        return True


def bundled(local: Any) -> cdk.BundlingOptions:
    """Bundling done by `local` on this machine (the image is only CDK's fallback)."""
    return cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
        local=local,
        command=["false"],  # never used: local bundling always succeeds or raises
    )
