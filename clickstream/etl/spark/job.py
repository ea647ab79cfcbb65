"""The Spark engine as a job `spark-submit` runs: one ETL run, then the ledger on stdout.

    spark-submit --master <master> clickstream/etl/spark/job.py \\
        --lake s3://bucket/lake --warehouse postgresql://etl@host/warehouse

or `python -m clickstream.etl.spark.job` on a machine with pyspark (a local session). The lake
and warehouse URLs may also come from CLICKSTREAM_LAKE_URL and CLICKSTREAM_WAREHOUSE_URL (the
warehouse URL holds a password: pass it by variable or a secret store, not on a command line
that others can read). The run takes the ETL lock like any other, so a job that starts while a
run holds it exits 0 as skipped. Exit codes: 0 succeeded or skipped, 1 failed, 2 bad usage.
See docs/scale.md for EMR Serverless, Kubernetes and standalone clusters.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from clickstream.etl.configuration import EtlOptions, EtlSettings
from clickstream.settings import SettingsInvalid, load

EXIT_FAILED = 1
EXIT_USAGE = 2


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The job's arguments."""
    parser = argparse.ArgumentParser(
        prog="clickstream.etl.spark.job", description="One ETL run on Spark."
    )
    parser.add_argument("--lake", help="The lake URL (default: CLICKSTREAM_LAKE_URL).")
    parser.add_argument(
        "--warehouse", help="The warehouse URL (default: CLICKSTREAM_WAREHOUSE_URL)."
    )
    parser.add_argument("--trigger", default="spark-submit", help="Recorded in the run's ledger.")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ETL once on Spark; the exit code says how it went."""
    from clickstream.etl.run import EtlRunFailed, run_etl
    from clickstream.etl.spark.session import session
    from clickstream.lake import open_lake

    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        settings = load(EtlSettings)
    except SettingsInvalid as exc:
        print(f"clickstream: {exc}", file=sys.stderr)
        return EXIT_USAGE
    warehouse = args.warehouse or (
        settings.warehouse_url.get_secret_value() if settings.warehouse_url else None
    )
    if not warehouse:
        print("clickstream: give --warehouse or CLICKSTREAM_WAREHOUSE_URL", file=sys.stderr)
        return EXIT_USAGE
    lake = args.lake or settings.lake_location
    options = replace(EtlOptions.from_settings(settings), engine="spark")
    spark = session(options.spark_master)
    try:
        result = run_etl(warehouse, open_lake(lake), trigger=args.trigger, options=options)
    except EtlRunFailed as exc:
        print(f"clickstream: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        spark.stop()
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
