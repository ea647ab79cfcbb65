"""Run the Spark engine in this process and end it abruptly (`os._exit`) at a named step.

Usage: python -m tests.etl.spark.crash_runner WAREHOUSE_URL LAKE_DIR STEP
"""

from __future__ import annotations

import os
import sys

from clickstream.etl.run import EtlOptions, run_etl
from clickstream.etl.spark.session import session
from clickstream.lake import open_lake

CRASH_EXIT = 17


def main() -> None:
    url, lake_dir, crash_at = sys.argv[1:4]

    def step(name: str) -> None:
        if name == crash_at:
            os._exit(CRASH_EXIT)

    # As small as a run of one small file needs: a cold JVM in a child process is the cost.
    session(
        "local[1]",
        "clickstream-crash",
        {
            "spark.sql.shuffle.partitions": "1",
            "spark.driver.memory": "512m",
            # A short-lived JVM: the quick compiler only, the simplest collector, plans run
            # without compiling generated code (what it proves is the move's atomicity).
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            "spark.sql.codegen.wholeStage": "false",
        },
    )
    run_etl(url, open_lake(lake_dir), options=EtlOptions(engine="spark"), on_step=step)


if __name__ == "__main__":
    main()
