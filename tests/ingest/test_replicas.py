"""Two stateless ingest replicas behind a (simulated) load balancer: one S3 lake, one budget.

Each replica is its own `clickstream ingest serve` process with its own spool folder and node
id; both write one lake (moto's S3 server on loopback) and take tokens from one Redis budget.
This is the example docs/scale.md describes.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
import redis
from moto.server import ThreadedMotoServer

from clickstream.lake.keys import is_event_key
from tests.conftest import free_port, wait_for_http

# moto keeps its buckets in this process's memory across servers: a bucket of this module's own
BUCKET = f"replicas-{uuid.uuid4().hex[:12]}"
REDIS = "redis://127.0.0.1:6379/0"
BURST = 10


@pytest.fixture
def s3() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def lake_event_ids(endpoint: str) -> tuple[Counter[str], set[str]]:
    """Each event id in the lake with how often it is there, and the node ids that wrote."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    counts: Counter[str] = Counter()
    nodes: set[str] = set()
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="raw/")
    for obj in listing.get("Contents", []):
        key = obj["Key"].removeprefix("raw/")
        if not is_event_key(key):
            continue
        nodes.add(key.rsplit("/", 1)[1].split("-")[0])
        body = client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
        counts.update(json.loads(line)["event_id"] for line in gzip.decompress(body).splitlines())
    return counts, nodes


@pytest.fixture
def replicas(s3: str, tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    prefix = f"clickstream-test:{uuid.uuid4().hex}:"  # this test's budget only
    started = []
    for name in ("replicaa", "replicab"):
        port = free_port()
        env = {
            **os.environ,
            "CLICKSTREAM_DATA_DIR": str(tmp_path / name),  # its own spool folder
            "CLICKSTREAM_LAKE_URL": f"s3://{BUCKET}/raw",  # one lake
            "AWS_ENDPOINT_URL": s3,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "CLICKSTREAM_NODE_ID": name,
            "CLICKSTREAM_INGEST_HOST": "127.0.0.1",
            "CLICKSTREAM_INGEST_PORT": str(port),
            "CLICKSTREAM_INGEST_WORKERS": "1",
            "CLICKSTREAM_INGEST_AUTH": "off",
            "CLICKSTREAM_REDIS_URL": REDIS,  # one budget
            "CLICKSTREAM_INGEST_RATE_LIMIT_PREFIX": prefix,
            "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0.001",  # no refill within the test
            "CLICKSTREAM_INGEST_RATE_LIMIT_BURST": str(BURST),
            "CLICKSTREAM_INGEST_TRUSTED_PROXIES": "127.0.0.1",  # the load balancer
            "CLICKSTREAM_LOG_LEVEL": "warning",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "ingest", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, url in started:
            wait_for_http(f"{url}/healthz", process)
        yield started
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.kill()
                process.wait()
        store = redis.Redis.from_url(REDIS)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
        store.close()


def test_two_replicas_share_one_rate_budget_and_write_one_lake_exactly_once(
    replicas: list[tuple[subprocess.Popen[bytes], str]], s3: str
) -> None:
    client = {"x-forwarded-for": "198.18.0.7"}  # one client, spread over both replicas
    acknowledged: set[str] = set()
    answers: list[tuple[int, int]] = []  # (replica, status)
    for n in range(BURST + 6):
        replica = n % 2
        event_id = str(uuid.uuid4())
        response = httpx.post(
            f"{replicas[replica][1]}/clickstream",
            json={"event_name": "page_view", "event_id": event_id},
            headers=client,
            timeout=10,
        )
        answers.append((replica, response.status_code))
        if response.status_code == 202:
            acknowledged.add(event_id)
    statuses = [status for _, status in answers]
    assert statuses == [202] * BURST + [429] * 6  # the budget is one, not one per replica
    assert {replica for replica, status in answers if status == 429} == {0, 1}

    for process, _ in replicas:  # a graceful stop ships each replica's spool
        process.send_signal(signal.SIGTERM)
    for process, _ in replicas:
        process.wait(timeout=60)
    counts, nodes = lake_event_ids(s3)
    assert set(counts) == acknowledged
    assert set(counts.values()) == {1}
    assert nodes == {"replicaa", "replicab"}
