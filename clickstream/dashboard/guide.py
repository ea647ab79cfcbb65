"""The first run's guide: while the warehouse holds no event at all, every page opens with why
it is empty and what to do next, instead of leaving rows of zeros to explain themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from htmltools import Tag
from shiny import render, ui

from clickstream.dashboard import formatting
from clickstream.dashboard.warehouse import Warehouse, WarehouseUnavailable

# When the next scheduled load starts, given the last run's start (None: unknown).
NextLoad = Callable[[datetime | None], datetime | None]
OUTPUT = "first_run"
TRACKING_DOCS = "docs/tracking.md"


def placeholder() -> Tag:
    """Where the guide appears, above every page."""
    return ui.output_ui(OUTPUT)


def guide(row: dict[str, Any], next_load: NextLoad | None) -> Tag | None:
    """The guide for the `first_run` row, or None once any event has been loaded."""
    if row.get("has_events"):
        return None
    last = row.get("last_run_started")
    if last is None:
        why = "No event has been loaded yet: the ETL has not run since the warehouse was made."
    else:
        why = (
            f"No event has been loaded yet: the last ETL run ({row.get('last_status')}) started "
            f"{formatting.age(last, row.get('checked_at'))} ago and found nothing to load."
        )
    upcoming = next_load(last) if next_load else None
    when = (
        f"The next scheduled load starts at about {formatting.moment(upcoming)}."
        if upcoming
        else "The scheduler (clickstream etl schedule, part of clickstream up) loads new "
        "events on its schedule, CLICKSTREAM_ETL_SCHEDULE (every hour unless set)."
    )
    steps = [
        ui.tags.li(when, class_="next-load"),
        ui.tags.li("Load now: ", ui.tags.code("clickstream etl run")),
        ui.tags.li(
            "Send events from a site: add the tracker snippet to its pages, as ",
            ui.tags.code(TRACKING_DOCS),
            " shows, and allow the site's origin.",
        ),
        ui.tags.li("See it with sample data: ", ui.tags.code("clickstream up --demo")),
    ]
    return ui.div(
        ui.h5("Nothing to show yet"),
        ui.p(why),
        ui.tags.ul(*steps),
        class_="first-run alert alert-info",
        role="status",
    )


def register(warehouse: Warehouse, next_load: NextLoad | None) -> None:
    """Render the guide into `placeholder()` (call inside the app's server function)."""

    @render.ui
    def first_run() -> Tag | None:
        try:
            rows = warehouse.rows("pipeline", "first_run", {})
        except WarehouseUnavailable:
            return None  # each page already says the warehouse cannot answer
        return guide(rows[0], next_load) if rows else None
