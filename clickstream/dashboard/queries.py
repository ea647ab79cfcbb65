"""The dashboard's questions to the warehouse, each a named, parameterised SQL statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

TOTALS_SQL = """
SELECT count(*) AS events, count(DISTINCT client_id) AS clients
FROM clickstream_events
"""

EVENTS_PER_DAY_SQL = """
SELECT (event_timestamp AT TIME ZONE 'UTC')::date AS day, count(*) AS events
FROM clickstream_events
GROUP BY 1
ORDER BY 1
"""


@dataclass(frozen=True)
class Totals:
    """Headline counts over the whole warehouse."""

    events: int
    clients: int


def totals(url: str) -> Totals:
    """Total events and unique clients."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(TOTALS_SQL).fetchone()
    return Totals(events=int(row[0]), clients=int(row[1])) if row else Totals(0, 0)


def events_per_day(url: str) -> list[tuple[date, int]]:
    """Events per UTC day, oldest first."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        return [(row[0], int(row[1])) for row in conn.execute(EVENTS_PER_DAY_SQL)]
