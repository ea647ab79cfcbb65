"""What the Acquisition, Technology and Geography pages share: their headline KPIs and tables
of sessions, conversion and revenue by one dimension, each beside the previous period's."""

from __future__ import annotations

from htmltools import Tag

from clickstream.dashboard import formatting
from clickstream.dashboard.components import Column, Kpi, kpi_row, table
from clickstream.dashboard.pages import Tables, by_period, zero
from clickstream.dashboard.warehouse import Row

TOP = 20


def conversion(row: Row, prefix: str = "") -> float | None:
    """Purchasing sessions per session."""
    return formatting.ratio(row.get(prefix + "purchasing_sessions"), row.get(prefix + "sessions"))


def headline(found: Tables) -> Tag:
    """Sessions, conversion rate and revenue of the period beside the previous period's."""
    now, before = by_period(found["kpis"])
    return kpi_row(
        [
            Kpi("sessions", "Sessions", zero(now, "sessions"), zero(before, "sessions")),
            Kpi(
                "conversion",
                "Conversion rate",
                conversion(now),
                conversion(before),
                formatting.percent,
            ),
            Kpi(
                "revenue",
                "Revenue",
                zero(now, "revenue"),
                zero(before, "revenue"),
                formatting.money,
            ),
        ]
    )


def breakdown_table(rows: list[Row], heading: str) -> Tag:
    """One row per value of a dimension: sessions, conversion and revenue, now and before."""
    shown = [
        {
            **row,
            "change": formatting.change(row["sessions"], row["prev_sessions"]),
            "conversion": conversion(row),
            "prev_conversion": conversion(row, "prev_"),
        }
        for row in rows
    ]
    return table(
        [
            Column("label", heading),
            Column("sessions", "Sessions", formatting.count, numeric=True),
            Column("prev_sessions", "Previous", formatting.count, numeric=True),
            Column("change", "Change", numeric=True),
            Column("conversion", "Conversion", formatting.percent, numeric=True),
            Column("prev_conversion", "Previous", formatting.percent, numeric=True),
            Column("revenue", "Revenue", formatting.money, numeric=True),
            Column("prev_revenue", "Previous", formatting.money, numeric=True),
        ],
        shown,
        "No sessions in this period.",
    )
