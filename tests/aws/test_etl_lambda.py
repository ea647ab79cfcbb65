"""The ETL Lambda against moto's S3 and SNS and a real PostgreSQL: it loads what the ingest
Lambda wrote exactly as `clickstream etl run` does, and a failed run reaches the topic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from clickstream.aws import etl_lambda
from clickstream.aws.configuration import AwsEtlSettings
from clickstream.etl.run import EtlRunFailed
from clickstream.warehouse.migrate import migrate
from tests.aws.conftest import Moto
from tests.aws.test_ingest_lambda import api_event, function_for
from tests.conftest import SYSTEM_PG_URL, free_port, scratch_database

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
COMPARED = """
SELECT event_id, event_timestamp, event_name, user_id, user_login_state, identity_source,
       client_id, session_id, page_url, received_at, client_ip, user_agent, device_type
FROM clickstream_events ORDER BY event_id
"""


@pytest.fixture
def warehouses() -> Iterator[tuple[str, str]]:
    """Two fresh, migrated warehouses on the machine's PostgreSQL."""
    with (
        scratch_database(SYSTEM_PG_URL, "csaws") as one,
        scratch_database(SYSTEM_PG_URL, "csaws") as two,
    ):
        migrate(one)
        migrate(two)
        yield one, two


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def fill_lake(moto: Moto, tmp_path: Path, bucket: str) -> int:
    """Three requests through the ingest Lambda; returns the number of events accepted."""
    function = function_for(moto, tmp_path, bucket)
    bodies = [
        [{"event_name": "page_view", "client_id": "c1", "page_url": "https://shop.test/"}],
        [{"event_name": "product_view", "client_id": "c1"}, {"event_name": "search"}],
        {"event_name": "page_view", "client_id": "c2", "session_id": "s2"},
    ]
    for body in bodies:
        reply = function.handle(api_event(json.dumps(body).encode(), {"user-agent": "pytest"}))
        assert reply["statusCode"] == 202, reply
    return 4


def test_the_etl_handler_loads_the_lake_exactly_as_etl_run_does(
    moto: Moto,
    tmp_path: Path,
    warehouses: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_lambda, by_cli = warehouses
    bucket = moto.new_bucket()
    sent = fill_lake(moto, tmp_path, bucket)
    monkeypatch.setenv("CLICKSTREAM_LAKE_URL", f"s3://{bucket}")
    monkeypatch.setenv("CLICKSTREAM_DATA_DIR", str(tmp_path / "lambda"))
    monkeypatch.setenv("CLICKSTREAM_WAREHOUSE_URL", by_lambda)

    answer = etl_lambda.handler(SCHEDULED)

    assert answer["status"] == "succeeded", answer
    assert (answer["files"], answer["loaded"], answer["rejected"]) == (3, sent, 0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_LAKE_URL=f"s3://{bucket}",
        CLICKSTREAM_DATA_DIR=str(tmp_path / "cli"),
        CLICKSTREAM_WAREHOUSE_URL=by_cli,
    )
    cli = subprocess.run(
        [sys.executable, "-m", "clickstream", "etl", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    loaded = rows(by_lambda, COMPARED)
    assert len(loaded) == sent
    assert loaded == rows(by_cli, COMPARED)
    manifest = (
        "SELECT object_key, received, loaded, duplicates, rejected FROM lake_manifest ORDER BY 1"
    )
    assert rows(by_lambda, manifest) == rows(by_cli, manifest)
    runs = "SELECT trigger, status, files, loaded FROM etl_runs"
    assert rows(by_lambda, runs) == [("scheduled", "succeeded", 3, sent)]
    # a second scheduled run finds nothing new
    assert etl_lambda.handler(SCHEDULED)["loaded"] == 0


def test_a_failed_run_is_published_to_the_topic_and_fails_the_invocation(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic = sns.create_topic(Name=f"alarms-{moto.new_bucket()}")["TopicArn"]
    queue = sqs.create_queue(QueueName=topic.rsplit(":", 1)[1])["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    bucket = moto.new_bucket()
    monkeypatch.setenv("CLICKSTREAM_LAKE_URL", f"s3://{bucket}")
    monkeypatch.setenv("CLICKSTREAM_DATA_DIR", str(tmp_path))
    nobody = f"postgresql://clickstream@127.0.0.1:{free_port()}/clickstream?connect_timeout=2"
    monkeypatch.setenv("CLICKSTREAM_WAREHOUSE_URL", nobody)
    monkeypatch.setenv("CLICKSTREAM_AWS_ALARM_TOPIC_ARN", topic)

    with pytest.raises(EtlRunFailed):
        etl_lambda.handler(SCHEDULED)

    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    note = json.loads(messages[0]["Body"])
    assert note["Subject"] == "Clickstream ETL run failed"
    assert "scheduled ETL run failed" in note["Message"]


def test_the_warehouse_password_comes_from_the_secret(moto: Moto, tmp_path: Path) -> None:
    secrets = moto.client("secretsmanager")
    arn = secrets.create_secret(
        Name=f"etl-{moto.new_bucket()}",
        SecretString=json.dumps({"username": "clickstream_etl", "password": "p@ss/word"}),
    )["ARN"]
    settings = AwsEtlSettings(
        data_dir=tmp_path, aws_warehouse_secret_arn=arn, aws_warehouse_host="10.0.1.5"
    )
    url = etl_lambda.warehouse_url(settings, secrets)
    assert url == "postgresql://clickstream_etl:p%40ss%2Fword@10.0.1.5:5432/clickstream"
