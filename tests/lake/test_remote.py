"""The S3 lake through fsspec against moto's S3 server on loopback, and the ETL reading it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import psycopg
import pytest
from moto.server import ThreadedMotoServer

from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake.remote import RemoteLake
from tests.etl.lakefiles import HOUR, put, record

CREDENTIALS = {"key": "testing", "secret": "testing"}


@pytest.fixture
def s3_lake_url() -> Iterator[tuple[str, str]]:
    """moto's S3 server on a free loopback port and a fresh, empty bucket's URL.

    moto keeps its state per process, so each test gets a bucket of its own.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    yield endpoint, f"s3://{bucket}/prod"
    server.stop()


def _lake(where: tuple[str, str]) -> RemoteLake:
    endpoint, url = where
    return RemoteLake(
        url,
        **CREDENTIALS,
        client_kwargs={"endpoint_url": endpoint, "region_name": "us-east-1"},
    )


def test_listing_pages_through_more_than_a_thousand_objects(s3_lake_url: tuple[str, str]) -> None:
    lake = _lake(s3_lake_url)
    keys = [
        f"events/2026/11/24/10/n1-20261124T100000000000Z-{i:06d}.ndjson.gz" for i in range(1005)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: lake.put(key, b"x"), keys))

    listed = [obj.key for obj in _lake(s3_lake_url).list("events/")]

    assert listed == keys


def test_etl_loads_from_s3_and_a_second_run_finds_nothing_new(
    s3_lake_url: tuple[str, str], warehouse_url: str
) -> None:
    lake = _lake(s3_lake_url)
    for seq in range(1, 4):
        put(lake, HOUR, [record(), record(), "bad line"], seq=seq)

    first = run_etl(warehouse_url, lake, options=EtlOptions(batch_files=2))
    second = run_etl(warehouse_url, _lake(s3_lake_url))

    assert (first.files, first.received, first.loaded, first.rejected) == (3, 9, 6, 3)
    assert (second.files, second.loaded) == (0, 0)
    with psycopg.connect(warehouse_url) as conn:
        keys = [r[0] for r in conn.execute("SELECT object_key FROM lake_manifest ORDER BY 1")]
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (6,)
    assert keys == [obj.key for obj in lake.list("events/")]
