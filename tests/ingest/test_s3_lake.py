"""The lake on S3 (moto's server on loopback): shipping, the lake going away and coming back."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from clickstream.lake.keys import is_event_key
from clickstream.lake.remote import RemoteLake
from tests.ingest.conftest import Ingest
from tests.ingest.test_spool import wait_for

BUCKET = "clickstream-lake"
CREDENTIALS = {"key": "testing", "secret": "testing"}


@dataclass
class Moto:
    port: int
    server: ThreadedMotoServer

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop()

    def start_again(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()


@pytest.fixture
def moto() -> Iterator[Moto]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    running = Moto(port=port, server=server)
    boto3.client(
        "s3",
        endpoint_url=running.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield running
    running.stop()


def s3_lake(moto: Moto) -> RemoteLake:
    return RemoteLake(
        f"s3://{BUCKET}/raw",
        skip_instance_cache=True,
        client_kwargs={"endpoint_url": moto.endpoint, "region_name": "us-east-1"},
        config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1, "read_timeout": 2},
        **CREDENTIALS,
    )


def event_ids_in(lake: RemoteLake) -> set[str]:
    found: set[str] = set()
    for obj in lake.list("events/"):
        if not is_event_key(obj.key):
            continue  # s3fs's find may list the prefix itself before any object exists
        for line in gzip.decompress(lake.get(obj.key)).splitlines():
            found.add(json.loads(line)["event_id"])
    return found


def test_events_ship_to_s3_and_survive_the_lake_going_away_and_coming_back(
    moto: Moto, make_ingest: Callable[..., Ingest]
) -> None:
    lake = s3_lake(moto)
    ingest = make_ingest(
        lake=lake,
        ingest_spool_file_seconds=0.1,
        ingest_ship_interval_seconds=0.1,
        ingest_ship_max_backoff_seconds=0.5,
    )
    acknowledged: set[str] = set()

    def send(count: int) -> None:
        for i in range(count):
            response = ingest.post([{"event_name": "page_view", "properties": {"i": i}}] * 3)
            assert response.status_code == 202, response.text
            acknowledged.update(response.json()["event_ids"])

    send(3)
    wait_for(lambda: event_ids_in(lake) == acknowledged, timeout=20)
    keys = [obj.key for obj in lake.list("events/") if is_event_key(obj.key)]
    assert keys and all("/testnode-" in k for k in keys)

    moto.stop()
    failures = ingest.service.shipper.failures
    send(3)  # the lake is gone: still acknowledged, because the spool has them
    wait_for(lambda: ingest.service.shipper.failures > failures, timeout=20)
    assert httpx.get(f"{ingest.server.url}/readyz").status_code == 503
    assert ingest.service.spool.usage > 0

    moto.start_again()  # the shipper finds the lake again on its own, within its back-off
    wait_for(lambda: not list(ingest.spool_dir.glob("*.ndjson*")), timeout=30)
    assert event_ids_in(lake) == acknowledged
    assert httpx.get(f"{ingest.server.url}/readyz").status_code == 200
