"""Hostile input end to end: each case asserts its status and that nothing unwanted is stored.

Limits, deep nesting, gzip bombs, JWT pitfalls, CORS, rate limits with a spoofed
X-Forwarded-For and the dashboard role's writes are covered where those parts are tested
(`tests/ingest/`, `tests/warehouse/test_roles.py`); docs/security.md lists them all. This
module adds the cases that cross parts or need a whole process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives.asymmetric import rsa

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.conftest import ServerThread, free_port, lake_records, wait_for_http, wait_for_lake
from tests.ingest.conftest import running_ingest

SQLISH = [
    "'; DROP TABLE clickstream_events; --",
    "Robert'); DROP TABLE students;--",
    "1 OR 1=1",
    "$$; SELECT pg_sleep(10); $$",
    "\\x00\\'\"%_",
]


def test_sql_like_strings_are_stored_verbatim_and_harm_nothing(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    collect = f"{ingest_server.url}/clickstream"
    acknowledged: list[str] = []
    for index, text in enumerate(SQLISH):
        event = {
            "event_name": "search",
            "client_id": text,
            "page_url": f"/search?q={text}",
            "product": {"id": f"p{index}", "name": text},
            "properties": {"query": text},
        }
        response = httpx.post(collect, json=event)
        assert response.status_code == 202
        acknowledged += response.json()["event_ids"]
    wait_for_lake(lake_dir, acknowledged)

    result = run_etl(warehouse_url, open_lake(str(lake_dir)))

    assert result.loaded == len(SQLISH)
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT client_id, context_product_name, properties->>'query' FROM clickstream_events"
        ).fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
    assert sorted(rows) == sorted((text, text, text) for text in SQLISH)
    assert "clickstream_events_default" in tables


def test_identifiers_never_steer_lake_paths(
    ingest_server: ServerThread, lake_dir: Path, tmp_path: Path
) -> None:
    hostile = ["../../../../tmp/pwned", "..\\..\\pwned", "/etc/passwd", "a/../../b", "%2e%2e%2f"]
    collect = f"{ingest_server.url}/clickstream"
    acknowledged: list[str] = []
    for text in hostile:
        event = {"event_name": "page_view", "client_id": text, "session_id": text}
        event["product"] = {"id": text, "url_path": text}
        response = httpx.post(collect, json=event)
        assert response.status_code == 202
        acknowledged += response.json()["event_ids"]
    wait_for_lake(lake_dir, acknowledged)

    keys = [p.relative_to(lake_dir).as_posix() for p in lake_dir.rglob("*") if p.is_file()]
    assert keys and all(k.startswith("events/") and k.count("/") == 5 for k in keys)
    assert not any("pwned" in str(p) for p in tmp_path.rglob("*"))
    assert not Path("/tmp/pwned").exists()
    assert sorted(r["client_id"] for r in lake_records(lake_dir)) == sorted(hostile)


def test_log_injection_stays_inside_one_escaped_json_line(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_DATA_DIR=str(tmp_path / "data"),
        CLICKSTREAM_LAKE_URL=str(tmp_path / "lake"),
        CLICKSTREAM_INGEST_HOST="127.0.0.1",
        CLICKSTREAM_INGEST_PORT=str(port),
        CLICKSTREAM_INGEST_WORKERS="1",
        CLICKSTREAM_LOG_LEVEL="debug",
    )
    log_path = tmp_path / "ingest.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "ingest", "serve"],
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", process, log=log_path)
        forged = '\r\n{"level": "error", "msg": "forged"}\x1b[31mRED\x1b[0m'
        bodies = [
            json.dumps({"event_name": forged}),
            json.dumps({"event_name": "page_view", forged: 1, "properties": {forged: forged}}),
            json.dumps([{"event_name": "x" * 100_000}]),
            json.dumps({"event_name": 5, "client_id": forged * 1000}),
            forged.encode().decode() + "{",
        ]
        statuses = [
            httpx.post(
                f"{url}/clickstream",
                content=body.encode(),
                headers={"content-type": "application/json", "user-agent": "x" * 5000},
            ).status_code
            for body in bodies
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)

    raw = log_path.read_bytes()
    # Data is data: the one valid event keeps the hostile key verbatim; only the log escapes it.
    assert statuses == [400, 202, 413, 413, 400]
    assert b"\x1b" not in raw and b"\r" not in raw
    lines = raw.decode().splitlines()
    assert lines, "the server logged nothing"
    for line in lines:
        assert len(line) <= 4096, line[:200]
        if line.startswith("{"):
            record = json.loads(line)
            assert record.get("msg") != "forged"
    [stored] = lake_records(tmp_path / "lake")  # shipped on SIGTERM
    assert stored["properties"] == {forged: forged}


def test_unreachable_jwks_refuses_tokens_and_still_takes_guests(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        {"sub": "u1", "iss": "https://shop.test", "aud": "clickstream", "exp": time.time() + 60},
        key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    with running_ingest(
        tmp_path,
        ingest_auth="optional",
        ingest_jwks_url=f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
        ingest_jwt_issuer="https://shop.test",
    ) as ingest:
        signed = ingest.post(
            {"event_name": "page_view"}, headers={"authorization": f"Bearer {token}"}
        )
        stored_after_token = ingest.stored()
        guest = ingest.post({"event_name": "page_view"})

    assert signed.status_code == 401
    assert stored_after_token == []
    assert guest.status_code == 202


def test_slow_clients_hold_no_one_else_up_and_store_nothing(tmp_path: Path) -> None:
    with running_ingest(tmp_path) as ingest:
        host, port = "127.0.0.1", ingest.server.port
        slow = []
        for _ in range(30):
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(
                b"POST /clickstream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100000\r\n\r\n[{"event_name": "page_'
            )
            slow.append(sock)
        response = ingest.post({"event_name": "purchase"})
        # The order of events, not a stopwatch: the fast request was answered while every
        # slow one was still waiting for its body (none answered, none closed by the server).
        still_waiting = [_unanswered(sock) for sock in slow]
        for sock in slow:
            sock.close()
        stored = ingest.stored()

    assert response.status_code == 202
    assert still_waiting == [True] * len(slow)
    assert [r["event_name"] for r in stored] == ["purchase"]


def _unanswered(sock: socket.socket) -> bool:
    """True when the server has neither answered on `sock` nor closed it."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # b"" is a close, anything else an answer
    except BlockingIOError:
        return True
    return False
