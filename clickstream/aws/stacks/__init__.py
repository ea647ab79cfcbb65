"""The CDK app that stands the platform up on AWS as it was first drawn (docs/aws.md).

One stack per concern, as AWS's clickstream solution cuts them: network, data, ingest, shop,
analytics host and ETL. Needs the `clickstream[aws]` extra (aws-cdk-lib, cdk-nag).
"""

import os

# aws-cdk-lib runs on Node through jsii; Node 20 still synthesizes fine, so its end-of-life
# banners are silenced before the first `aws_cdk` import starts the runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
