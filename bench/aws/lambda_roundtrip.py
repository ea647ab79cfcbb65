"""The ingest Lambda's cold import, first call and warm round trip against moto's S3 on loopback.

Baseline, in the same run: a bare boto3 `put_object` of the same gzipped batch (the S3 round
trip alone), so the ratio is what validation, enrichment and the response cost on top of it.
Prints medians; never asserts.

Run: .venv/bin/python -m bench.aws.lambda_roundtrip [--calls 300]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

IMPORT = "import clickstream.aws.ingest_lambda"
FIRST_CALL = """
import time; t = time.perf_counter()
from clickstream.aws import ingest_lambda
imported = time.perf_counter()
reply = ingest_lambda.handler(EVENT)
done = time.perf_counter()
assert reply["statusCode"] == 202, reply
print((imported - t) * 1000, (done - imported) * 1000)
"""


def event(body: bytes) -> dict[str, Any]:
    return {
        "version": "2.0",
        "headers": {"content-type": "application/json", "user-agent": "bench"},
        "requestContext": {"http": {"method": "POST", "sourceIp": "198.51.100.7"}},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def cumulative_import_ms() -> float:
    """`python -X importtime`'s cumulative microseconds for the handler module, in ms."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT], capture_output=True, text=True
    )
    last = [
        line for line in run.stderr.splitlines() if line.endswith("clickstream.aws.ingest_lambda")
    ]
    return int(last[-1].split("|")[1]) / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CLICKSTREAM_LAKE_URL": "s3://bench-lake",
        "CLICKSTREAM_INGEST_AUTH": "off",
        "CLICKSTREAM_DATA_DIR": "/tmp/bench-lambda",
    }
    os.environ.update(env)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench-lake")
    batch = [
        {"event_name": "page_view", "client_id": f"c{i}", "page_url": f"https://shop.test/p/{i}"}
        for i in range(args.events)
    ]
    body = json.dumps(batch).encode()

    imports = [cumulative_import_ms() for _ in range(5)]
    firsts: list[list[float]] = []
    for _ in range(3):
        code = f"EVENT = {event(body)!r}\n" + FIRST_CALL
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
        )
        firsts.append([float(x) for x in run.stdout.splitlines()[-1].split()])

    from clickstream.aws import ingest_lambda

    ingest_lambda.handler(event(body))  # the container is warm from here on
    handler_ms: list[float] = []
    put_ms: list[float] = []
    payload = gzip.compress(body, mtime=0)
    for number in range(args.calls):
        started = time.perf_counter()
        reply = ingest_lambda.handler(event(body))
        handler_ms.append((time.perf_counter() - started) * 1000)
        assert reply["statusCode"] == 202
        started = time.perf_counter()
        s3.put_object(Bucket="bench-lake", Key=f"baseline/{number}.ndjson.gz", Body=payload)
        put_ms.append((time.perf_counter() - started) * 1000)
    server.stop()
    handler, put = statistics.median(handler_ms), statistics.median(put_ms)
    cold = statistics.median(imports)
    print(f"cold import of clickstream.aws.ingest_lambda (median of 5): {cold:.0f} ms")
    print(
        "first call in a fresh process (median of 3): import "
        f"{statistics.median(f[0] for f in firsts):.0f} ms + settings, boto3 and the first "
        f"PutObject {statistics.median(f[1] for f in firsts):.0f} ms"
    )
    print(f"warm POST of {args.events} events, {args.calls} calls, medians:")
    print(f"  handler (validate, enrich, gzip, PutObject): {handler:.2f} ms")
    print(f"  baseline (bare boto3 PutObject):             {put:.2f} ms")
    print(f"  ratio: {handler / put:.2f}")


if __name__ == "__main__":
    main()
