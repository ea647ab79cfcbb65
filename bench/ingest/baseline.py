"""The bare ASGI baseline: parse the JSON body with msgspec and append it to a file, nothing else.

Run: uvicorn bench.ingest.baseline:app (BASELINE_FILE names the file to append to).
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

_decoder = msgspec.json.Decoder()
_file = open(os.environ.get("BASELINE_FILE", "/tmp/baseline-events.ndjson"), "ab")  # noqa: SIM115


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept any POST body that is JSON; 202 once appended (no fsync)."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    try:
        parsed = _decoder.decode(body)
    except msgspec.DecodeError:
        status, reply = 400, b'{"error":"invalid"}'
    else:
        count = len(parsed) if isinstance(parsed, list) else 1
        _file.write(body + b"\n")
        status, reply = 202, b'{"accepted":%d}' % count
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": reply})
