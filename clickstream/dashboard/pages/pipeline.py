"""Pipeline health: the last ETL runs with their ledger, lag since the newest loaded event,
quarantine by reason, and alarms with the delivery of their notifications."""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, ui

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
from clickstream.dashboard.warehouse import Warehouse

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
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Pipeline health tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=RUNS)

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
