"""The ingest Lambda against moto's S3 on loopback: the lake's keys, and every refusal the
same as the HTTP ingest's for the same request."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from clickstream import utc
from clickstream.aws import ingest_lambda
from clickstream.aws.configuration import AwsIngestSettings
from clickstream.aws.ingest_lambda import IngestFunction, build_function
from clickstream.lake.keys import hour_of_key, is_event_key
from tests.aws.conftest import Moto
from tests.ingest.conftest import Ingest, running_ingest
from tests.ingest.test_auth import ISSUER, Jwks, jwks  # noqa: F401 (the fixture)

HOUR_KEY = re.compile(r"^events/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+\.ndjson\.gz$")
LIMITS = {
    "ingest_max_body_bytes": 4096,
    "ingest_max_batch_events": 3,
    "ingest_max_event_bytes": 600,
}


def api_event(
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    binary: bool = False,
    source_ip: str = "203.0.113.9",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event as the service sends it."""
    return {
        "version": "2.0",
        "routeKey": "POST /clickstream",
        "rawPath": "/clickstream",
        "headers": {
            "content-type": "application/json",
            "content-length": str(len(body)),
            **(headers or {}),
        },
        "requestContext": {
            "requestId": "req-1",
            "http": {"method": method, "path": "/clickstream", "sourceIp": source_ip},
        },
        "body": base64.b64encode(body).decode() if binary else body.decode("latin-1"),
        "isBase64Encoded": binary,
    }


def function_for(moto: Moto, tmp_path: Path, bucket: str, **overrides: Any) -> IngestFunction:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "lake_url": f"s3://{bucket}",
        "node_id": "lambda",
        "ingest_auth": "off",
    }
    values.update(overrides)
    return build_function(AwsIngestSettings(**values), {"s3": moto.client("s3")})


def objects(moto: Moto, bucket: str, prefix: str) -> dict[str, bytes]:
    s3 = moto.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def records(moto: Moto, bucket: str) -> list[dict[str, Any]]:
    found = []
    for data in objects(moto, bucket, "events/").values():
        found += [json.loads(line) for line in gzip.decompress(data).splitlines()]
    return found


def test_post_through_the_handler_lands_under_the_hour_it_was_received(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = moto.new_bucket()
    monkeypatch.setenv("CLICKSTREAM_LAKE_URL", f"s3://{bucket}")
    monkeypatch.setenv("CLICKSTREAM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLICKSTREAM_INGEST_AUTH", "off")
    monkeypatch.setattr(ingest_lambda, "_function", None)
    before = utc.now().replace(minute=0, second=0, microsecond=0)
    body = json.dumps([{"event_name": "page_view"}, {"event_name": "add_to_cart"}]).encode()

    reply = ingest_lambda.handler(api_event(body, {"user-agent": "pytest"}))

    assert reply["statusCode"] == 202, reply
    answer = json.loads(reply["body"])
    assert answer["accepted"] == 2
    stored = objects(moto, bucket, "events/")
    assert len(stored) == 1
    (key,) = stored
    assert HOUR_KEY.match(key) and is_event_key(key)
    assert before <= hour_of_key(key) <= utc.now()
    lines = [json.loads(line) for line in gzip.decompress(stored[key]).splitlines()]
    assert [r["event_id"] for r in lines] == answer["event_ids"]
    assert {r["user_agent"] for r in lines} == {"pytest"}
    assert {r["user_login_state"] for r in lines} == {"guest"}
    # the second call of the same container reuses it and writes a second object
    assert ingest_lambda.handler(api_event(body))["statusCode"] == 202
    assert len(objects(moto, bucket, "events/")) == 2


def test_the_country_comes_from_the_full_client_ip_as_over_http(moto: Moto, tmp_path: Path) -> None:
    bucket = moto.new_bucket()
    function = function_for(moto, tmp_path, bucket)
    body = json.dumps([{"event_name": "page_view"}]).encode()

    assert function.handle(api_event(body, source_ip="8.8.8.8"))["statusCode"] == 202

    (record,) = records(moto, bucket)
    assert record["country"] == "US"
    assert record["client_ip"] != "8.8.8.8"  # stored truncated, looked up before


def test_gzip_body_sent_base64_is_accepted(moto: Moto, tmp_path: Path) -> None:
    bucket = moto.new_bucket()
    function = function_for(moto, tmp_path, bucket)
    body = gzip.compress(json.dumps({"event_name": "page_view"}).encode())
    reply = function.handle(api_event(body, {"content-encoding": "gzip"}, binary=True))
    assert reply["statusCode"] == 202, reply
    assert [r["event_name"] for r in records(moto, bucket)] == ["page_view"]


def _bad_requests(token: str) -> list[tuple[str, bytes, dict[str, str], str]]:
    """(name, body, headers, method) of requests both ingests must refuse alike."""
    big_event = {"event_name": "page_view", "properties": {"note": "x" * 700}}
    return [
        ("empty", b"", {}, "POST"),
        ("malformed", b"{not json", {}, "POST"),
        ("not utf-8", b'{"event_name": "\xff"}', {}, "POST"),
        ("bad name", json.dumps({"event_name": "Page View"}).encode(), {}, "POST"),
        ("bad field", json.dumps({"event_name": "a", "event_timestamp": 5}).encode(), {}, "POST"),
        ("batch", json.dumps([{"event_name": "a"}] * 4).encode(), {}, "POST"),
        ("event", json.dumps(big_event).encode(), {}, "POST"),
        ("body", json.dumps({"event_name": "a", "x": "y" * 5000}).encode(), {}, "POST"),
        (
            "nul",
            json.dumps({"event_name": "a", "properties": {"k": "\u0000"}}).encode(),
            {},
            "POST",
        ),
        ("bad gzip", b"not gzip at all", {"content-encoding": "gzip"}, "POST"),
        ("media type", b"{}", {"content-type": "text/xml"}, "POST"),
        ("encoding", b"{}", {"content-encoding": "br"}, "POST"),
        ("method", b"", {}, "GET"),
        ("junk token", b'{"event_name":"a"}', {"authorization": "Bearer junk"}, "POST"),
        ("not bearer", b'{"event_name":"a"}', {"authorization": "Basic eDp5"}, "POST"),
        ("wrong aud", b'{"event_name":"a"}', {"authorization": f"Bearer {token}"}, "POST"),
    ]


def _http(ingest: Ingest, body: bytes, headers: dict[str, str], method: str) -> httpx.Response:
    sent = {"content-type": "application/json", **headers}
    return httpx.request(method, ingest.url, content=body, headers=sent, timeout=10)


@pytest.mark.parametrize("mode", ["optional", "required"])
def test_every_refusal_matches_the_http_ingest(
    moto: Moto,
    tmp_path: Path,
    jwks: Jwks,  # noqa: F811 (the fixture imported above)
    mode: str,
) -> None:
    bucket = moto.new_bucket()
    auth = {"ingest_auth": mode, "ingest_jwks_url": jwks.url, "ingest_jwt_issuer": ISSUER}
    function = function_for(moto, tmp_path, bucket, **LIMITS, **auth)
    cases = _bad_requests(jwks.token(aud="someone-else"))
    if mode == "required":
        cases.append(("no token", b'{"event_name":"a"}', {}, "POST"))
    with running_ingest(tmp_path, **LIMITS, **auth) as ingest:
        for name, body, headers, method in cases:
            over_http = _http(ingest, body, headers, method)
            reply = function.handle(api_event(body, headers, method, binary=True))
            assert reply["statusCode"] == over_http.status_code, name
            assert reply["statusCode"] >= 400, name
            assert json.loads(reply["body"]) == over_http.json(), name
            for header in ("allow", "www-authenticate", "retry-after"):
                assert reply["headers"].get(header) == over_http.headers.get(header), name
    assert records(moto, bucket) == []


def test_a_bucket_that_refuses_the_put_gets_503_and_nothing_is_acknowledged(
    moto: Moto, tmp_path: Path
) -> None:
    function = function_for(moto, tmp_path, "no-such-bucket", ingest_retry_after_seconds=7)
    reply = function.handle(api_event(b'{"event_name": "page_view"}'))
    assert reply["statusCode"] == 503
    assert json.loads(reply["body"])["error"] == "storage_unavailable"
    assert reply["headers"]["retry-after"] == "7"


def test_a_refused_body_is_sampled_into_quarantine(moto: Moto, tmp_path: Path) -> None:
    bucket = moto.new_bucket()
    function = function_for(moto, tmp_path, bucket)
    assert function.handle(api_event(b'{"event_name": "Bad Name"}'))["statusCode"] == 400
    samples = objects(moto, bucket, "quarantine/")
    assert len(samples) == 1
    (sample,) = (json.loads(gzip.decompress(data)) for data in samples.values())
    assert sample["reason"] == "invalid_payload"
    assert sample["body_sample"] == '{"event_name": "Bad Name"}'


def test_a_cognito_id_token_makes_the_event_logged_in_with_the_pool_as_source(
    moto: Moto, tmp_path: Path
) -> None:
    cognito = moto.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="web")
    client_id = client["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="ada@example.com")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="ada@example.com", Password="Secret-Pass-1", Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": "Secret-Pass-1"},
    )["AuthenticationResult"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    bucket = moto.new_bucket()
    function = function_for(
        moto,
        tmp_path,
        bucket,
        ingest_auth="required",
        ingest_jwks_url=f"{moto.endpoint}/{pool}/.well-known/jwks.json",
        ingest_jwt_issuer=issuer,
        ingest_jwt_audience=client_id,
    )
    bearer = {"authorization": f"Bearer {tokens['IdToken']}"}
    reply = function.handle(api_event(b'{"event_name": "page_view", "user_id": "x"}', bearer))
    assert reply["statusCode"] == 202, reply
    (record,) = records(moto, bucket)
    subject = cognito.admin_get_user(UserPoolId=pool, Username="ada@example.com")
    sub = next(a["Value"] for a in subject["UserAttributes"] if a["Name"] == "sub")
    assert record["user_login_state"] == "logged_in"
    assert record["identity_source"] == issuer
    assert record["user_id"] == sub


def test_firehose_delivery_sends_every_line_before_the_202(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = moto.new_bucket()
    firehose = moto.client("firehose")
    stream = f"events-{bucket}"
    firehose.create_delivery_stream(
        DeliveryStreamName=stream,
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "events/",
        },
    )
    settings = AwsIngestSettings(
        data_dir=tmp_path,
        lake_url=f"s3://{bucket}",
        ingest_auth="off",
        aws_ingest_delivery="firehose",
        aws_firehose_stream=stream,
    )
    function = build_function(settings, {"s3": moto.client("s3"), "firehose": firehose})
    body = json.dumps([{"event_name": "page_view"}, {"event_name": "search"}]).encode()
    reply = function.handle(api_event(body))
    assert reply["statusCode"] == 202, reply
    delivered = objects(moto, bucket, "events/")
    lines = [json.loads(line) for data in delivered.values() for line in data.splitlines()]
    assert sorted(r["event_name"] for r in lines) == ["page_view", "search"]
