"""Write a synthetic lake: N enriched events over 24 hourly partitions of gzip NDJSON.

DuckDB writes the files (`COPY ... (FORMAT json, COMPRESSION gzip)`), so generating a
million events takes seconds. Sessions of about eight events walk the funnel; some agents
are bots; a few percent of purchases carry an order; cart adds, checkouts and purchases carry
their lines (`items`).

Usage: python -m bench.etl.generate --events 1000000 --lake /tmp/cs-bench-lake
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

START = datetime(2026, 11, 1, tzinfo=UTC)
FILES_PER_HOUR = 4
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
# One file's events: `i` runs over the file's slice of the global event numbers.
FILE_SQL = """
COPY (
    WITH e AS (
        SELECT i, i // 8 AS s, i % 8 AS step,
            TIMESTAMPTZ '{hour}' + to_microseconds(((i - {first}) * 3600000000 // {count}))
                AS ts
        FROM range({first}, {first} + {count}) AS t(i)
    )
    SELECT
        uuidv7() AS event_id,
        CASE step WHEN 0 THEN 'page_view' WHEN 1 THEN 'page_view' WHEN 2 THEN 'product_view'
            WHEN 3 THEN 'product_view' WHEN 4 THEN 'add_to_cart'
            WHEN 5 THEN (CASE WHEN s % 3 = 0 THEN 'begin_checkout' ELSE 'page_view' END)
            WHEN 6 THEN (CASE WHEN s % 6 = 0 THEN 'purchase' ELSE 'click' END)
            ELSE 'page_view' END AS event_name,
        strftime(ts, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS event_timestamp,
        strftime(ts, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS client_timestamp,
        strftime(ts + INTERVAL 40 MILLISECONDS, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS received_at,
        'client-' || (s % 50000) AS client_id,
        'session-' || s AS session_id,
        step = 0 AND s % 4 = 0 AS is_first_visit,
        CASE WHEN s % 5 = 0 THEN 'user-' || (s % 20000) END AS user_id,
        CASE WHEN s % 5 = 0 THEN 'logged_in' ELSE 'guest' END AS user_login_state,
        CASE WHEN s % 5 = 0 THEN 'local' END AS identity_source,
        'https://shop.example/' || CASE WHEN step IN (2, 3, 4) THEN 'p/' || (i % 500)
            ELSE 'c/' || (s % 40) END || '?ref=' || (i % 7) AS page_url,
        CASE WHEN step = 0 THEN 'https://search.example/?q=' || (s % 100) END AS referrer,
        CASE WHEN step IN (2, 3, 4, 6) THEN {{
            'id': 'p' || (i % 500), 'name': 'Product ' || (i % 500),
            'category': 'cat-' || (i % 25), 'brand': 'brand-' || (i % 30),
            'price': round(5 + (i % 500) * 0.37, 2), 'discount_price': NULL,
            'url_path': '/p/' || (i % 500), 'quantity': 1 + i % 3}} END AS product,
        CASE WHEN step = 6 AND s % 6 = 0 THEN {{
            'id': 'o-' || s, 'number': NULL, 'total': round(20 + (s % 300) * 1.1, 2),
            'currency': 'EUR', 'item_count': 1 + s % 4}} END AS "order",
        CASE WHEN step = 7 THEN {{'section': 'footer', 'position': i % 9}} END AS properties,
        -- Cart adds carry one line, checkouts and purchases one to four.
        CASE WHEN step = 4 THEN [0]
            WHEN (step = 5 AND s % 3 = 0) OR (step = 6 AND s % 6 = 0) THEN range(1 + s % 4)
        END.list_transform(lambda k: {{
            'id': 'p' || ((i + k * 37) % 500), 'name': 'Product ' || ((i + k * 37) % 500),
            'category': 'cat-' || ((i + k * 37) % 25), 'brand': 'brand-' || ((i + k * 37) % 30),
            'variant': NULL, 'price': round(5 + ((i + k * 37) % 500) * 0.37, 2),
            'discount_price': NULL, 'quantity': 1 + (i + k) % 3}}) AS items,
        '203.0.113.0' AS client_ip,
        {agents}[1 + (s % {n_agents})] AS user_agent,
        'req-' || i AS request_id,
        'node-{node}' AS node_id
    FROM e
) TO '{path}' (FORMAT json, COMPRESSION gzip)
"""


def generate(lake: Path, events: int, hours: int = 24) -> int:
    """Write `events` events into `lake`; return the number of files."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    agents = "[" + ", ".join("'" + a.replace("'", "''") + "'" for a in AGENTS) + "]"
    per_file = events // (hours * FILES_PER_HOUR)
    first, files = 0, 0
    for h in range(hours):
        hour = START + timedelta(hours=h)
        folder = lake / f"events/{hour:%Y/%m/%d/%H}"
        folder.mkdir(parents=True, exist_ok=True)
        for node in range(FILES_PER_HOUR):
            last_file = h == hours - 1 and node == FILES_PER_HOUR - 1
            count = events - first if last_file else per_file
            path = folder / f"node-{node}-{hour:%Y%m%dT%H%M%S}000000Z-000001.ndjson.gz"
            con.execute(
                FILE_SQL.format(
                    hour=hour.isoformat(),
                    first=first,
                    count=count,
                    agents=agents,
                    n_agents=len(AGENTS),
                    node=node,
                    path=path,
                )
            )
            first += count
            files += 1
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--lake", type=Path, default=Path("/tmp/cs-bench-lake"))
    args = parser.parse_args()
    started = time.perf_counter()
    files = generate(args.lake, args.events)
    print(
        f"wrote {args.events} events in {files} files under {args.lake} "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
