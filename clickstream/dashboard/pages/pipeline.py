"""Pipeline health: the last ETL runs with their ledger, lag since the newest loaded event,
quarantine by reason, alarms with the delivery of their notifications, and the shop's orders
against the purchase events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
from htmltools import Tag
from shiny import module, reactive, render, ui

from clickstream.dashboard import charts, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import (
    Column,
    Kpi,
    card,
    chart_output,
    empty_state,
    kpi_row,
    table,
)
from clickstream.dashboard.pages import (
    FiltersCalc,
    Tables,
    by_period,
    chart_of,
    page_data,
    panel,
    zero,
)
from clickstream.dashboard.warehouse import Warehouse, WarehouseUnavailable
from clickstream.warehouse.reconciliation import (
    Reconciliation,
    period_of,
    reconcile,
    shop_orders,
)

PAGE = "pipeline"
QUERIES = ("kpis", "freshness", "runs", "quarantine", "incidents")
RUNS = 25


@module.ui
def page_ui() -> Any:
    """The Pipeline health tab."""
    return ui.nav_panel(
        "Pipeline health",
        ui.p(
            "Runs, quarantine and alarms follow the date range; login state and bots do not "
            "apply here.",
            class_="small text-muted",
        ),
        ui.output_ui("kpis"),
        ui.output_ui("freshness"),
        card("Last ETL runs and their ledger", ui.output_ui("runs_table")),
        ui.layout_columns(
            card("Quarantine by reason", chart_output("quarantine_chart")),
            card("Alarms and notifications", ui.output_ui("incidents_table")),
        ),
        card("Shop orders against purchase events", ui.output_ui("orders_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: object,
    output: object,
    session: object,
    warehouse: Warehouse,
    filters: FiltersCalc,
    shop_url: str | None = None,
) -> None:
    """Fill the Pipeline health tab; `shop_url` reads the shop's orders (read-only)."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=RUNS)

    @reactive.calc
    def orders() -> Reconciliation | str:
        if not shop_url:
            return "Set CLICKSTREAM_SHOP_DB_URL to compare the shop's orders with purchase events."
        start, end = period_of(filters().start, filters().end)
        try:
            rows = warehouse.rows(PAGE, "purchases", filters().params())
            placed = shop_orders(shop_url, start, end)
        except (WarehouseUnavailable, psycopg.Error) as exc:
            return f"The orders could not be compared: {type(exc).__name__}."
        purchases = [
            (r["event_id"], r["order_id"], Decimal(r["total"]), r["event_timestamp"]) for r in rows
        ]
        return reconcile(placed, purchases, start, end)

    @render.ui
    def orders_table() -> Tag:
        found = orders()
        if isinstance(found, str):
            return empty_state(found)
        sides = (
            ("matched", "Orders with their purchase event", found.matched),
            (
                "orders_without_event",
                "Orders with no purchase event (tracking lost)",
                found.orders_without_event,
            ),
            ("events_without_order", "Purchase events with no order", found.events_without_order),
        )
        shown = [
            {"kind": kind, "label": label, "count": side.count, "total": side.total}
            for kind, label, side in sides
        ]
        missing = ", ".join(found.missing_order_ids)
        return ui.div(
            table(
                [
                    Column("label", "Orders and events"),
                    Column("count", "Count", formatting.count, numeric=True),
                    Column("total", "Total", formatting.money, numeric=True),
                ],
                shown,
                "No order and no purchase event in this period.",
            ),
            ui.p(f"Orders with no event: {missing}", class_="small missing-orders")
            if missing
            else None,
        )

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = by_period(found["kpis"])
        return kpi_row(
            [
                Kpi(key, label, zero(now, key), zero(before, key))
                for key, label in (
                    ("runs", "ETL runs"),
                    ("failed", "Failed runs"),
                    ("loaded", "Events loaded"),
                    ("duplicates", "Duplicates"),
                    ("rejected", "Rejected"),
                )
            ]
        )

    @panel(data)
    def freshness(found: Tables) -> Tag:
        row = found["freshness"][0]
        if row["newest_event"] is None:
            return empty_state("Nothing has been loaded yet: no ETL run has stored an event.")
        return ui.div(
            ui.div(
                ui.span("Lag since the newest loaded event: "),
                ui.strong(formatting.age(row["newest_event"], row["checked_at"]), class_="lag"),
            ),
            ui.div(
                ui.span("Newest event: "),
                ui.span(formatting.moment(row["newest_event"]), class_="newest-event"),
            ),
            ui.div(
                ui.span("Last successful run finished: "),
                ui.span(formatting.moment(row["last_success"]), class_="last-success"),
                ui.span(
                    f" · last run {row['last_status'] or formatting.MISSING}", class_="last-status"
                ),
            ),
            class_="freshness card p-2 mb-3",
        )

    @panel(data)
    def runs_table(found: Tables) -> Tag:
        count = formatting.count
        return table(
            [
                Column("run_id", "Run"),
                Column("trigger", "Trigger"),
                Column("status", "Status"),
                Column("started_at", "Started", formatting.moment),
                Column("finished_at", "Finished", formatting.moment),
                Column("files", "Files", count, numeric=True),
                Column("received", "Received", count, numeric=True),
                Column("loaded", "Loaded", count, numeric=True),
                Column("duplicates", "Duplicates", count, numeric=True),
                Column("conflicts", "Conflicts", count, numeric=True),
                Column("rejected", "Rejected", count, numeric=True),
                Column("late", "Late", count, numeric=True),
                Column("error", "Error"),
            ],
            found["runs"],
            "No ETL run in this period.",
        )

    @chart_of(data)
    def quarantine_chart(found: Tables) -> Chart:
        rows = found["quarantine"]
        return charts.hbar([r["reason"] for r in rows], [r["records"] for r in rows])

    @panel(data)
    def incidents_table(found: Tables) -> Tag:
        rows = [
            {**r, "state": "open" if r["resolved_at"] is None else "resolved"}
            for r in found["incidents"]
        ]
        return table(
            [
                Column("alarm", "Alarm"),
                Column("state", "State"),
                Column("summary", "Summary"),
                Column("opened_at", "Opened", formatting.moment),
                Column("resolved_at", "Resolved", formatting.moment),
                Column("delivered", "Sent", formatting.count, numeric=True),
                Column("pending", "Pending", formatting.count, numeric=True),
                Column("last_error", "Last delivery error"),
            ],
            rows,
            "No alarm was raised in this period.",
        )
