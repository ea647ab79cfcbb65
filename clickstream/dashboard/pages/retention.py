"""Retention: visitors by the day or week they were first seen, and the share of each cohort
active (or purchasing) in each later period, as a triangle table and an average curve.

Everything comes from `retention_daily` (a few rows per day and cohort), kept by the ETL's
derive; no request reads events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from htmltools import Tag
from shiny import module, reactive, ui

from clickstream.dashboard import charts, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import Kpi, card, chart_output, empty_state, kpi_row
from clickstream.dashboard.pages import FiltersCalc, Tables, chart_of, fetch, panel
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

PAGE = "retention"
QUERIES = ("cohorts", "last_day")
GRAINS: Final = {"week": "Week", "day": "Day"}
MEASURES: Final = {"active": "Active", "purchasing": "Purchasing"}
# The periods shown after the first: a month of days, a quarter of weeks.
PERIODS: Final = {"day": 30, "week": 12}


@dataclass(frozen=True)
class Cohort:
    """One cohort: its first period, its size and each observed period's count (index = offset)."""

    start: date
    size: int
    counts: list[int]


def period_length(grain: str) -> int:
    """Days in one period of `grain`."""
    return 7 if grain == "week" else 1


def cohorts(rows: list[Row], measure: str, grain: str, last_day: date | None) -> list[Cohort]:
    """Cohorts from the `cohorts` rows: the size is period 0's active visitors; a period counts
    (0 when nobody came) once its first day is on or before `last_day`."""
    found: dict[date, dict[int, Row]] = {}
    for row in rows:
        found.setdefault(row["cohort"], {})[int(row["period"])] = row
    length = period_length(grain)
    result = []
    for start, periods in sorted(found.items()):
        size = int(periods.get(0, {}).get("active") or 0)
        if not size:
            continue
        observed = PERIODS[grain] if last_day is None else (last_day - start).days // length
        counts = [
            int(periods.get(k, {}).get(measure) or 0)
            for k in range(min(observed, PERIODS[grain]) + 1)
        ]
        result.append(Cohort(start, size, counts))
    return result


def average_curve(found: list[Cohort]) -> list[float]:
    """Per period offset, the share of the cohorts that reached it, weighted by their sizes."""
    longest = max((len(c.counts) for c in found), default=0)
    curve = []
    for k in range(longest):
        reached = [c for c in found if len(c.counts) > k]
        curve.append(sum(c.counts[k] for c in reached) / sum(c.size for c in reached))
    return curve


def headline(found: list[Cohort]) -> dict[str, float | int | None]:
    """The visitors first seen in the cohorts, and the share back in the next period."""
    curve = average_curve(found)
    return {
        "visitors": sum(c.size for c in found),
        "returned": curve[1] if len(curve) > 1 else None,
    }


def cohort_label(start: date, grain: str) -> str:
    """`2026-11-23` for a day, `2026-11-23 week` for a week (its Monday)."""
    return f"{start:%Y-%m-%d}" + (" week" if grain == "week" else "")


def triangle(found: list[Cohort], grain: str) -> Tag:
    """The cohorts as rows, their size, then each period's share, shaded by it; periods not
    yet reached are blank."""
    longest = max((len(c.counts) for c in found), default=0)
    word = GRAINS[grain]
    head = ui.tags.tr(
        ui.tags.th("Cohort"),
        ui.tags.th("Visitors", class_="text-end"),
        *[ui.tags.th(f"{word} {k}", class_="text-end") for k in range(longest)],
    )
    body = []
    for c in found:
        cells = [
            ui.tags.td(cohort_label(c.start, grain), data_col="cohort"),
            ui.tags.td(formatting.count(c.size), data_col="size", class_="text-end"),
        ]
        for k in range(longest):
            if k >= len(c.counts):
                cells.append(ui.tags.td(formatting.MISSING, data_col=f"p{k}", class_="text-end"))
                continue
            share = c.counts[k] / c.size
            cells.append(
                ui.tags.td(
                    formatting.percent(share),
                    data_col=f"p{k}",
                    class_="text-end",
                    # Darker for a larger share; the text stays readable on the darkest.
                    style=f"background-color: rgba(44, 123, 229, {0.08 + 0.5 * share:.2f})",
                )
            )
        body.append(ui.tags.tr(*cells))
    return ui.tags.table(
        ui.tags.thead(head),
        ui.tags.tbody(*body),
        class_="table table-sm data-table retention-triangle",
    )


def _choice(value: Any, allowed: dict[str, str]) -> str:
    # A browser can send anything: the first allowed value unless it sent one of them.
    return value if value in allowed else next(iter(allowed))


@module.ui
def page_ui() -> Any:
    """The Retention tab."""
    return ui.nav_panel(
        "Retention",
        ui.layout_columns(
            ui.input_radio_buttons("grain", "Cohorts by", GRAINS, inline=True),
            ui.input_radio_buttons("measure", "Counting visitors", MEASURES, inline=True),
        ),
        ui.output_ui("kpis"),
        card("Cohorts", ui.output_ui("cohort_table"), full=True),
        card("Average retention by period", chart_output("curve")),
        value=PAGE,
    )


@module.server
def page_server(
    input: Any, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Retention tab."""

    def grain() -> str:
        return _choice(input.grain(), GRAINS)

    def measure() -> str:
        return _choice(input.measure(), MEASURES)

    @reactive.calc
    def data() -> Tables | WarehouseUnavailable:
        return fetch(warehouse, PAGE, QUERIES, filters(), grain=grain(), periods=PERIODS[grain()])

    @reactive.calc
    def before() -> Tables | WarehouseUnavailable:
        return fetch(
            warehouse,
            PAGE,
            QUERIES,
            filters().previous(),
            grain=grain(),
            periods=PERIODS[grain()],
        )

    def found_cohorts(found: Tables) -> list[Cohort]:
        last = found["last_day"][0]["last_day"] if found["last_day"] else None
        return cohorts(found["cohorts"], measure(), grain(), last)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now = headline(found_cohorts(found))
        earlier = before()
        then = (
            headline(found_cohorts(earlier))
            if not isinstance(earlier, WarehouseUnavailable)
            else {"visitors": None, "returned": None}
        )
        word = GRAINS[grain()].lower()
        returned = "Bought" if measure() == "purchasing" else "Back"
        return kpi_row(
            [
                Kpi("visitors", "Visitors first seen", now["visitors"], then["visitors"]),
                Kpi(
                    "returned",
                    f"{returned} in {word} 1",
                    now["returned"],
                    then["returned"],
                    formatting.percent,
                ),
            ]
        )

    @panel(data)
    def cohort_table(found: Tables) -> Tag:
        shown = found_cohorts(found)
        if not shown:
            return empty_state("No visitors were first seen in this period.")
        return triangle(shown, grain())

    @chart_of(data)
    def curve(found: Tables) -> Chart:
        shares = average_curve(found_cohorts(found))
        word = GRAINS[grain()].lower()
        return charts.retention_curve(
            [f"{word} {k}" for k in range(len(shares))],
            [round(100 * s, 2) for s in shares],
            f"{MEASURES[measure()].lower()} (% of cohort)",
        )
