"""A CSV download beside every table: the rows the table shows, as a file.

`components.table` calls `download_link` with the columns and rows it renders; the link points
at a session-specific route (Shiny's `session.dynamic_route`, so only the browser session that
sees the table can fetch it, behind the same sign-in) whose handler holds those very rows. A
table drawn again under new filters registers its route again under the same name, so the file
always matches what is on screen.

The file has a header row of the column labels, then one line per row with the values as the
warehouse gave them (full precision, no thousands separators or currency signs), quoted as
RFC 4180 says (CRLF line ends, fields with commas, quotes or line breaks in double quotes).
A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so
that a spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from htmltools import Tag
from shiny import ui
from shiny.session import Session, get_current_session
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from clickstream.dashboard.components import Column

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def cell(value: Any) -> str:
    """`value` as CSV text; text that a spreadsheet would run as a formula gets a `'` first."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> str:
    """The header of `columns`' labels and one CSV line per row, RFC 4180 quoting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([cell(c.label) for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c.key)) for c in columns])
    return out.getvalue()


def _table_name(session: Session, columns: Sequence[Column], empty: str) -> str:
    """The table's output id (with its page's namespace) while Shiny renders it; else, should
    a Shiny release stop telling, a name from the table's shape within the page."""
    current = getattr(session.clientdata, "_current_output_name", None)
    if current:
        return str(current)
    shape = "|".join([empty, *(f"{c.key}:{c.label}" for c in columns)])
    return session.ns("table_" + hashlib.sha1(shape.encode()).hexdigest()[:12])  # noqa: S324


def download_link(
    columns: Sequence[Column], rows: Sequence[dict[str, Any]], empty: str
) -> Tag | None:
    """A "CSV" link serving `rows` under `columns`, or None outside a Shiny session (then the
    table is rendered without one, e.g. in a test that builds the tag directly)."""
    session = get_current_session()
    if session is None:
        return None
    filename = _UNSAFE_NAME.sub("_", _table_name(session, columns, empty)).strip("_") or "table"
    shown = list(rows)  # the CSV text is written when downloaded, not at every render

    def serve(request: Request) -> Response:
        return Response(
            csv_text(columns, shown).encode(),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="{filename}.csv"; '
                f"filename*=UTF-8''{quote(filename)}.csv",
                "cache-control": "no-store",
            },
        )

    # On the root session: the name is already namespaced, and a module's session would
    # refuse its dash.
    url = session.root_scope().dynamic_route(f"csv_{filename}", serve)
    return ui.a(
        "CSV",
        href=url,
        download=f"{filename}.csv",
        class_="csv-download",
        title="Download these rows as CSV",
    )
