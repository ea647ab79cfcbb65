"""Bodies in other trackers' formats, turned into a canonical batch before the usual checks.

- The Segment HTTP API (`events/segment.py`): the write key (HTTP Basic user name, or the
  body's `writeKey`, which analytics.js sends) names the site.
- The AWS Clickstream Analytics SDKs (`events/aws_sdk.py`): the `appId` query parameter (or
  the events' `app_id`) is the site id; the body may be gzipped (`Content-Encoding: gzip` or
  `compression=gzip`).

The messages become canonical events of that site, then go through `prepare` like any body,
so limits, site checks, enrichment and durability are the same.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

import msgspec

from clickstream.events import aws_sdk
from clickstream.events.segment import SegmentPayloadInvalid, to_events, write_key_of
from clickstream.ingest.core.errors import (
    InvalidPayload,
    MalformedBody,
    RegistryUnavailable,
    WriteKeyRefused,
)
from clickstream.ingest.core.limits import Limits, gunzip
from clickstream.ingest.core.sites import Admission, Registry

_json = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def basic_user(authorization: str | None) -> str | None:
    """The user name of an HTTP Basic `Authorization` value (Segment's write key), else None."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


def _decode(body: bytes) -> object:
    try:
        return _json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None


def from_aws_sdk(
    body: bytes, query: bytes, limits: Limits, encoding: str = "", write_key: str | None = None
) -> tuple[bytes, Admission]:
    """A canonical JSON batch for an AWS Clickstream SDK body; its `appId` is the site."""
    params = parse_qs(query.decode("latin-1"))
    if encoding == "gzip" or params.get("compression") == ["gzip"]:
        body = gunzip(body, limits.max_body_bytes)
    payload = _decode(body)
    given = params.get("appId")
    app_id = given[0] if given else aws_sdk.app_id_of(payload)
    if not app_id:
        raise InvalidPayload("the `appId` query parameter (the site id) is missing")
    try:
        events = aws_sdk.to_events(payload)
    except aws_sdk.AwsPayloadInvalid as exc:
        raise InvalidPayload(str(exc)) from None
    for event in events:
        event["site_id"] = app_id
    return _encoder.encode(events), Admission(write_key=write_key)


def from_segment(
    body: bytes,
    kind: str,
    authorization: str | None,
    registry: Registry,
    limits: Limits,
    encoding: str = "",
    retry_after: int = 5,
) -> tuple[bytes, Admission]:
    """A canonical JSON batch for a Segment body, and the admission its write key gives."""
    if encoding == "gzip":
        body = gunzip(body, limits.max_body_bytes)
    payload = _decode(body)
    key = basic_user(authorization) or write_key_of(payload)
    if not key:
        raise WriteKeyRefused("a Segment request needs a write key (Basic auth or `writeKey`)")
    site = registry.site_for_key(key)
    if site is None:
        if not registry.loaded:
            raise RegistryUnavailable(
                "the write key cannot be checked: the site registry has not been read from "
                "the warehouse yet; nothing was stored",
                retry_after,
            )
        raise WriteKeyRefused("the write key matches no registered site")
    try:
        events = to_events(payload, kind, site.site_id)
    except SegmentPayloadInvalid as exc:
        raise InvalidPayload(str(exc)) from None
    for event in events:
        event["site_id"] = site.site_id
    return _encoder.encode(events), Admission(write_key=key)
