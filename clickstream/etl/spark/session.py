"""The SparkSession the Spark engine runs on: the one spark-submit made, or a local one.

Under `spark-submit` (EMR Serverless, Kubernetes, a standalone cluster) the master, the
executors and the S3 connector come from the submit's configuration, and `session()` only
joins the session it started. Run from Python (`clickstream etl run --engine spark`, tests),
it starts one on `master` (`local[*]` unless told otherwise) in UTC, without the web UI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession

# What every session of ours needs: times in UTC, as in the warehouse.
REQUIRED = {"spark.sql.session.timeZone": "UTC"}
# Defaults for a session started here (a submitted job's own settings win).
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
    # Python workers are forked once and reused: each partition's COPY imports psycopg once.
    "spark.python.worker.reuse": "true",
    # A run names its files one by one (the manifest decides which): list them in the driver,
    # not in a Spark job of its own.
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
}


def session(
    master: str | None = None,
    app_name: str = "clickstream-etl",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """The active SparkSession, or a new one on `master` with our defaults and `conf`."""
    active = SparkSession.getActiveSession()
    if active is not None:
        _require(active)
        return active
    builder = SparkSession.builder.appName(app_name)
    submitted = "SPARK_SUBMIT_OPTS" in os.environ or "PYSPARK_GATEWAY_PORT" in os.environ
    if master is not None:
        builder = builder.master(master)
    elif not submitted:
        builder = builder.master("local[*]")
    if not submitted:
        # Python workers on this machine run this interpreter (its virtualenv has our
        # dependencies), not the first `python3` on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    defaults = {} if submitted and master is None else LOCAL_DEFAULTS
    for key, value in {**defaults, **REQUIRED, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    _require(spark)
    return spark


def _require(spark: SparkSession) -> None:
    for key, value in REQUIRED.items():
        spark.conf.set(key, value)
