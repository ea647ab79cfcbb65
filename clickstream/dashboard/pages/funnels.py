"""Custom funnels: pick up to 20 steps (events, pages, goals) and a window, see each step's
entrants, conversion, drop-off and median time beside the previous period's, and save, load
or delete funnels by name (the `funnels` table, also managed by `clickstream funnels`)."""

from __future__ import annotations

from typing import Any

import psycopg
from htmltools import Tag
from shiny import module, reactive, render, ui

from clickstream.dashboard import charts, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import Column, Kpi, card, chart_output, kpi_row, table
from clickstream.dashboard.funnel_figures import figures, step_label, walk_params
from clickstream.dashboard.funnel_rows import funnel_rows
from clickstream.dashboard.pages import FiltersCalc, Tables, chart, panel
from clickstream.dashboard.warehouse import Warehouse, WarehouseUnavailable
from clickstream.warehouse.funnels import (
    MAX_STEPS,
    Funnel,
    FunnelInvalid,
    Step,
    add_funnel,
    from_row,
    make_funnel,
    make_step,
    remove_funnel,
)

PAGE = "funnels"
KINDS = {"event": "Event", "page": "Page (URL path)", "goal": "Goal"}
WINDOWS = {
    "session": "Within one session",
    "days": "Within N days of the first step",
    "none": "Within the period (by visitor)",
}
NO_CHOICE = ""


@module.ui
def page_ui() -> Any:
    """The Custom funnels tab."""
    return ui.nav_panel(
        "Custom funnels",
        ui.layout_columns(
            card(
                "Build",
                ui.input_select("saved", "Saved funnels", {NO_CHOICE: "(none)"}),
                ui.div(
                    ui.input_action_button("load", "Load", class_="btn-sm"),
                    ui.input_action_button("delete", "Delete", class_="btn-sm btn-outline-danger"),
                    class_="d-flex gap-2 mb-3",
                ),
                ui.input_select("kind", "Step kind", KINDS),
                ui.input_selectize(
                    "value", "Step", choices=[], options={"create": True, "maxOptions": 200}
                ),
                ui.div(
                    ui.input_action_button("add_step", "Add step", class_="btn-sm btn-primary"),
                    ui.input_action_button("drop_step", "Remove last", class_="btn-sm"),
                    ui.input_action_button("clear", "Clear", class_="btn-sm"),
                    class_="d-flex gap-2 mb-2",
                ),
                ui.output_ui("step_list"),
                ui.input_select("window", "Window", WINDOWS),
                ui.input_numeric("window_days", "Days (for N days)", 7, min=1, max=366),
                ui.input_text("name", "Name"),
                ui.input_action_button("save", "Save", class_="btn-sm btn-success"),
                ui.output_ui("message"),
            ),
            ui.div(
                ui.output_ui("kpis"),
                card("Funnel, this period and the previous", chart_output("funnel_chart")),
            ),
            col_widths=(4, 8),
        ),
        card("Steps", ui.output_ui("steps_table"), full=True),
        value=PAGE,
    )


@module.server
def page_server(
    input: Any, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Custom funnels tab and act on its buttons."""
    steps: reactive.Value[tuple[Step, ...]] = reactive.value(())
    site: reactive.Value[str | None] = reactive.value(None)
    note: reactive.Value[tuple[str, str]] = reactive.value(("", ""))
    saved_changed = reactive.value(0)

    def say(text: str, error: bool = False) -> None:
        note.set((text, "text-danger" if error else "text-success"))

    @reactive.calc
    def saved() -> list[Funnel]:
        saved_changed()
        try:
            rows = warehouse.rows(PAGE, "saved", {})
        except WarehouseUnavailable:
            return []
        return [from_row(tuple(r.values())) for r in rows]

    @reactive.calc
    def choices() -> dict[str, list[str]]:
        try:
            rows = warehouse.rows(PAGE, "choices", filters().params())
        except WarehouseUnavailable:
            return {}
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["kind"], []).append(row["value"])
        return found

    @reactive.effect
    def _offer_saved() -> None:
        names = {NO_CHOICE: "(none)", **{f.name: f.name for f in saved()}}
        with reactive.isolate():
            chosen = input.saved() if input.saved() in names else NO_CHOICE
        ui.update_select("saved", choices=names, selected=chosen)

    @reactive.effect
    def _offer_values() -> None:
        offered = choices().get(input.kind(), [])
        ui.update_selectize("value", choices=offered, selected=None)

    def window() -> tuple[str, int | None]:
        kind = input.window()
        days = input.window_days()
        return kind, int(days) if kind == "days" and isinstance(days, int | float) else None

    @reactive.effect
    @reactive.event(input.add_step)
    def _add_step() -> None:
        if len(steps()) >= MAX_STEPS:
            say(f"A funnel has at most {MAX_STEPS} steps.", error=True)
            return
        try:
            step = make_step(input.kind(), (input.value() or "").strip())
        except FunnelInvalid as exc:
            say(str(exc), error=True)
            return
        steps.set((*steps(), step))
        say("")

    @reactive.effect
    @reactive.event(input.drop_step)
    def _drop_step() -> None:
        steps.set(steps()[:-1])

    @reactive.effect
    @reactive.event(input.clear)
    def _clear() -> None:
        steps.set(())
        site.set(None)

    @reactive.effect
    @reactive.event(input.save)
    def _save() -> None:
        kind, days = window()
        try:
            funnel = make_funnel(input.name().strip(), steps(), kind, days, site())
            with warehouse.connection() as conn:
                add_funnel(conn, funnel, replace=True)
        except FunnelInvalid as exc:
            say(str(exc), error=True)
            return
        except psycopg.Error as exc:
            say(f"The funnel could not be saved: {exc.diag.message_primary or exc}", error=True)
            return
        saved_changed.set(saved_changed() + 1)
        ui.update_select("saved", selected=funnel.name)
        say(f"Saved funnel {funnel.name}.")

    @reactive.effect
    @reactive.event(input.load)
    def _load() -> None:
        found = {f.name: f for f in saved()}.get(input.saved())
        if found is None:
            say("Choose a saved funnel to load.", error=True)
            return
        steps.set(found.steps)
        site.set(found.site_id)
        ui.update_select("window", selected=found.window)
        if found.window_days is not None:
            ui.update_numeric("window_days", value=found.window_days)
        ui.update_text("name", value=found.name)
        say(f"Loaded funnel {found.name}.")

    @reactive.effect
    @reactive.event(input.delete)
    def _delete() -> None:
        name = input.saved()
        if not name:
            say("Choose a saved funnel to delete.", error=True)
            return
        try:
            with warehouse.connection() as conn:
                removed = remove_funnel(conn, name)
        except psycopg.Error as exc:
            say(f"The funnel could not be deleted: {exc.diag.message_primary or exc}", error=True)
            return
        saved_changed.set(saved_changed() + 1)
        say(f"Deleted funnel {name}." if removed else f"Funnel {name} was not saved.", not removed)

    @reactive.calc
    def edited() -> Funnel | None:
        kind, days = window()
        if not steps():
            return None
        try:
            return make_funnel("edited", steps(), kind, days, site())
        except FunnelInvalid:
            return None

    @reactive.calc
    def data() -> Tables | WarehouseUnavailable:
        funnel = edited()
        if funnel is None:
            return {"walk": []}
        try:
            # A saved session-window funnel's days come precomputed when they all are.
            return {"walk": funnel_rows(warehouse, walk_params(funnel, filters()))}
        except WarehouseUnavailable as exc:
            return exc

    @render.ui
    def message() -> Tag:
        text, style = note()
        return ui.p(text, class_=f"small {style}", id="funnel-message")

    @render.ui
    def step_list() -> Tag:
        shown = [ui.tags.li(step_label(n, s)) for n, s in enumerate(steps(), start=1)]
        where = ui.p(f"Saved for site {site()} only.", class_="small") if site() else ""
        if not shown:
            return ui.p("No steps yet: pick a kind and a step, then Add step.", class_="small")
        return ui.div(ui.tags.ol(*shown, class_="funnel-steps small"), where)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now = figures(found["walk"], steps(), "current")
        before = figures(found["walk"], steps(), "previous")
        if not now:
            return ui.div()
        return kpi_row(
            [
                Kpi("entrants", "Entered", now[0].entrants, before[0].entrants),
                Kpi("completed", "Completed", now[-1].entrants, before[-1].entrants),
                Kpi(
                    "conversion",
                    "Conversion",
                    now[-1].from_first,
                    before[-1].from_first,
                    formatting.percent,
                ),
            ]
        )

    @chart
    def funnel_chart() -> Chart:
        found = data()
        if isinstance(found, WarehouseUnavailable) or not steps():
            return charts.empty()
        now = figures(found["walk"], steps(), "current")
        before = figures(found["walk"], steps(), "previous")
        return charts.funnel(
            [f.label for f in now],
            {
                "this period": [f.entrants for f in now],
                "previous period": [f.entrants for f in before],
            },
        )

    @panel(data)
    def steps_table(found: Tables) -> Tag:
        now = figures(found["walk"], steps(), "current")
        before = figures(found["walk"], steps(), "previous")
        rows = [
            {
                "step": current.label,
                "entrants": current.entrants,
                "from_first": current.from_first,
                "from_previous": current.from_previous,
                "drop_off": current.drop_off,
                "median": current.median_seconds,
                "previous_entrants": previous.entrants,
                "previous_from_first": previous.from_first,
                "change": formatting.change(current.entrants, previous.entrants),
            }
            for current, previous in zip(now, before, strict=True)
        ]
        return table(
            [
                Column("step", "Step"),
                Column("entrants", "Entrants", formatting.count, numeric=True),
                Column("from_first", "From first", formatting.percent, numeric=True),
                Column("from_previous", "From previous", formatting.percent, numeric=True),
                Column("drop_off", "Drop-off", formatting.count, numeric=True),
                Column("median", "Median time", formatting.duration, numeric=True),
                Column("previous_entrants", "Previous", formatting.count, numeric=True),
                Column("previous_from_first", "Prev. from first", formatting.percent, numeric=True),
                Column("change", "Change", numeric=True),
            ],
            rows,
            "Add steps to see the funnel.",
        )
