"""The CDK app for the CDK CLI: `npx aws-cdk deploy --all --app "python -m clickstream.aws.stacks"`.

Settings come from CLICKSTREAM_* (and .env); assets are bundled (pip), the ETL image is built
by the CDK CLI with Docker. Exits 1 when cdk-nag finds anything.
"""

import sys

from clickstream.aws.configuration import AwsDeploySettings
from clickstream.aws.stacks.app import build_app, nag_findings
from clickstream.settings import load

assembly = build_app(load(AwsDeploySettings)).app.synth()
findings = nag_findings(assembly)
for finding in findings:
    print(f"cdk-nag: {finding}", file=sys.stderr)
sys.exit(1 if findings else 0)
