"""Least-privilege AWS IAM policies for each part's access to the S3 lake and media buckets.

The ingest API may only put raw and quarantined events; the ETL may only list and read events;
the maintenance jobs (erasure, retention) may read, rewrite and delete events; the shop may
read and write media. Nothing gets `s3:*` or another prefix.
"""

from __future__ import annotations

from typing import Any

PARTS = ("ingest", "etl", "maintenance", "shop")


class UnknownPart(ValueError):
    """No policy is defined for this part."""


def _arn(bucket: str, prefix: str, path: str = "") -> str:
    root = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"arn:aws:s3:::{bucket}/{root}{path}"


def _list_statement(bucket: str, prefix: str, folders: list[str]) -> dict[str, Any]:
    root = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return {
        "Sid": "ListOwnPrefixes",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}"],
        "Condition": {"StringLike": {"s3:prefix": [f"{root}{folder}*" for folder in folders]}},
    }


def policy_for(part: str, bucket: str, prefix: str = "") -> dict[str, Any]:
    """The IAM policy document `part` needs on `bucket` under `prefix`."""
    if part == "ingest":
        statements = [
            {
                "Sid": "WriteRawAndQuarantinedEvents",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [
                    _arn(bucket, prefix, "events/*"),
                    _arn(bucket, prefix, "quarantine/*"),
                ],
            }
        ]
    elif part == "etl":
        statements = [
            {
                "Sid": "ReadRawEvents",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [_arn(bucket, prefix, "events/*")],
            },
            _list_statement(bucket, prefix, ["events/"]),
        ]
    elif part == "maintenance":
        statements = [
            {
                "Sid": "EraseAndExpireEvents",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [
                    _arn(bucket, prefix, "events/*"),
                    _arn(bucket, prefix, "quarantine/*"),
                ],
            },
            _list_statement(bucket, prefix, ["events/", "quarantine/"]),
        ]
    elif part == "shop":
        statements = [
            {
                "Sid": "ReadWriteMedia",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": [_arn(bucket, prefix, "*")],
            },
            _list_statement(bucket, prefix, [""]),
        ]
    else:
        raise UnknownPart(f"no policy for {part!r}; parts are: {', '.join(PARTS)}")
    return {"Version": "2012-10-17", "Statement": statements}
