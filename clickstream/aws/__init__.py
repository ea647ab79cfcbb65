"""The platform on AWS: Lambda adapters over the ingest core and the ETL, and the CDK app.

Nothing here is imported by the parts below it; `boto3` and `aws_cdk` come from the
`clickstream[aws]` extra and are imported only where they are used.
"""
