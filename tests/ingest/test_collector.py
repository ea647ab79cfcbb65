"""The HTTP-free core, as an AWS Lambda adapter would call it: body in, lake object out."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from clickstream import utc
from clickstream.events.record import Receipt
from clickstream.ingest.core.collector import Collector
from clickstream.ingest.core.errors import BatchTooLarge, InvalidPayload
from clickstream.ingest.core.limits import Limits
from clickstream.lake import open_lake


def receipt() -> Receipt:
    return Receipt(received_at=utc.now(), request_id="req-1", node_id="lambda-1")


def test_collect_writes_one_lake_object_with_every_event(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    collector = Collector("lambda-1", lake=lake)
    body = json.dumps([{"event_name": "page_view"}, {"eventName": "checkout_start"}]).encode()

    accepted = collector.collect(gzip.compress(body), receipt(), content_encoding="gzip")

    data = gzip.decompress(lake.get(accepted.object_key))
    records = [json.loads(line) for line in data.splitlines()]
    assert [r["event_name"] for r in records] == ["page_view", "begin_checkout"]
    assert [r["event_id"] for r in records] == accepted.event_ids
    assert accepted.object_key.startswith("events/")


def test_collect_refuses_without_writing(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    collector = Collector("lambda-1", lake=lake, limits=Limits(max_batch_events=1))

    with pytest.raises(BatchTooLarge):
        collector.collect(b'[{"event_name": "a"}, {"event_name": "b"}]', receipt())
    with pytest.raises(InvalidPayload) as caught:
        collector.collect(b'{"event_name": 5}', receipt())
    assert caught.value.errors[0]["field"] == "event_name"
    assert list(lake.list("events/")) == []


def test_accept_returns_lines_or_a_refusal_and_never_raises_for_bad_input() -> None:
    from clickstream.ingest.core import Accepted, Context, Refused, accept

    context = Context(receipt())
    accepted = accept(b'[{"event_name": "page_view"}, {"eventName": "login_success"}]', context)
    refused = accept(b'{"event_name": 5}', context)
    too_many = accept(
        b"[" + b",".join([b'{"event_name": "a"}'] * 2) + b"]",
        Context(receipt(), limits=Limits(max_batch_events=1)),
    )

    assert isinstance(accepted, Accepted)
    records = [json.loads(line) for line in accepted.lines.splitlines()]
    assert [r["event_name"] for r in records] == ["page_view", "login"]
    assert [r["event_id"] for r in records] == accepted.event_ids
    assert isinstance(refused, Refused)
    assert (refused.status, refused.reason) == (400, "invalid_payload")
    assert refused.errors[0]["field"] == "event_name"
    assert isinstance(too_many, Refused)
    assert (too_many.status, too_many.reason) == (413, "batch_too_large")
