"""Where the ingest Lambda puts an accepted batch before it answers: S3 or Firehose.

Both return only once AWS has taken the bytes durably (S3 `PutObject` returned, or Firehose
reported no failed record), so a 2xx always follows storage. `boto3` is imported by the caller
and its clients are passed in, one per container.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from clickstream.lake.keys import event_object_key
from clickstream.lake.store import LakeObject, LakeUnavailable

# Firehose takes at most 500 records and 4 MiB a call, each record at most 1,000 KiB.
_FIREHOSE_RECORDS = 500
_FIREHOSE_RECORD_BYTES = 1000 * 1024
_FIREHOSE_CALL_BYTES = 4 * 1024 * 1024


def split_url(url: str) -> tuple[str, str]:
    """The bucket and key prefix (empty or ending in `/`) of an `s3://bucket/prefix` URL."""
    if not url.startswith("s3://"):
        raise ValueError(f"the lake of an AWS deployment must be an s3:// URL, not {url!r}")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class Delivery(Protocol):
    """Takes a batch's NDJSON lines durably, or raises `LakeUnavailable`."""

    def deliver(self, lines: bytes, received_at: datetime) -> str:
        """Store `lines`; returns where they went (an object key or the stream's name)."""


class S3Lake:
    """The lake's bucket through a boto3 S3 client: the `LakeStore` the Lambdas write with."""

    def __init__(self, client: Any, url: str) -> None:
        self.client = client
        self.url = url
        self.bucket, self.prefix = split_url(url)

    def put(self, key: str, data: bytes) -> None:
        """One `PutObject`; S3 shows the object only once it is whole."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)
        except Exception as exc:  # botocore's errors: the network, throttling, access
            raise LakeUnavailable(f"could not write {key} to {self.url}: {exc}") from exc

    def get(self, key: str) -> bytes:
        """The bytes of object `key`."""
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as exc:
            raise LakeUnavailable(f"could not read {key} from {self.url}: {exc}") from exc
        return bytes(reply["Body"].read())

    def list(self, prefix: str) -> Iterator[LakeObject]:
        """Objects under `prefix`, in key order (S3 lists in key order)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield LakeObject(key=item["Key"][len(self.prefix) :], size=int(item["Size"]))

    def delete(self, key: str) -> None:
        """Remove object `key` (S3 does not mind a missing one)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


class S3Delivery:
    """One gzip object a batch under `events/YYYY/MM/DD/HH/<node>-<received>-<seq>.ndjson.gz`."""

    def __init__(self, lake: S3Lake, node: str) -> None:
        self.lake = lake
        self.node = node
        self._sequence = itertools.count(1)

    def deliver(self, lines: bytes, received_at: datetime) -> str:
        """Put the batch as one object; returns its key."""
        key = event_object_key(received_at, self.node, next(self._sequence))
        self.lake.put(key, gzip.compress(lines, compresslevel=6, mtime=0))
        return key


def firehose_records(lines: bytes) -> Iterator[list[dict[str, bytes]]]:
    """The batch's lines as Firehose records (whole lines each), grouped into calls."""
    records: list[dict[str, bytes]] = []
    size = 0
    record = bytearray()
    for line in lines.splitlines(keepends=True):
        if record and len(record) + len(line) > _FIREHOSE_RECORD_BYTES:
            records.append({"Data": bytes(record)})
            size += len(record)
            record = bytearray()
            if (
                len(records) == _FIREHOSE_RECORDS
                or size >= _FIREHOSE_CALL_BYTES - _FIREHOSE_RECORD_BYTES
            ):
                yield records
                records, size = [], 0
        record += line
    if record:
        records.append({"Data": bytes(record)})
    if records:
        yield records


class FirehoseDelivery:
    """Records to an Amazon Data Firehose stream that writes gzip files under `events/`."""

    def __init__(self, client: Any, stream: str) -> None:
        self.client = client
        self.stream = stream

    def deliver(self, lines: bytes, received_at: datetime) -> str:
        """Send every line; any record Firehose did not take makes the whole call fail.

        A retry by the client may then store some lines twice; the ETL drops repeats by
        event id, so nothing acknowledged is lost and nothing is counted twice.
        """
        for records in firehose_records(lines):
            try:
                reply = self.client.put_record_batch(
                    DeliveryStreamName=self.stream, Records=records
                )
            except Exception as exc:
                raise LakeUnavailable(f"could not send to Firehose {self.stream}: {exc}") from exc
            if reply.get("FailedPutCount"):
                raise LakeUnavailable(
                    f"Firehose {self.stream} refused {reply['FailedPutCount']} records"
                )
        return self.stream
