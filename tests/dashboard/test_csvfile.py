"""The tables' CSV files: a header of the column labels, RFC 4180 quoting, raw values, and
text that a spreadsheet would run as a formula made inert."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from clickstream.dashboard import formatting
from clickstream.dashboard.components import Column, table
from clickstream.dashboard.csvfile import cell, csv_text

COLUMNS = (
    Column("page", "Page, path"),
    Column("views", "Views", formatting.count, numeric=True),
    Column("revenue", "Revenue", formatting.money, numeric=True),
    Column("day", "Day"),
)


def test_csv_quotes_as_rfc_4180_and_neutralises_formulas() -> None:
    rows = [
        {"page": 'a "quoted", page\nwith a break', "views": 1234, "revenue": Decimal("10.50")},
        {"page": '=HYPERLINK("http://x")', "views": -3, "revenue": None, "day": date(2026, 1, 2)},
        {"page": "+1", "views": 0, "revenue": 1.5},
        {"page": "-2", "views": 1},
        {"page": "@SUM(A1)", "views": 2},
        {"page": "plain - text", "views": 3},
    ]
    text = csv_text(COLUMNS, rows)
    assert text.startswith('"Page, path",Views,Revenue,Day\r\n')
    assert text.endswith("\r\n") and "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["Page, path", "Views", "Revenue", "Day"]
    assert parsed[1] == ['a "quoted", page\nwith a break', "1234", "10.50", ""]
    assert parsed[2] == ['\'=HYPERLINK("http://x")', "-3", "", "2026-01-02"]  # numbers stay
    assert [row[0] for row in parsed[3:]] == ["'+1", "'-2", "'@SUM(A1)", "plain - text"]
    assert cell(True) == "true" and cell("\tx") == "'\tx"


def test_a_table_outside_a_session_has_no_link_and_keeps_its_rows() -> None:
    html = str(table(COLUMNS, iter([{"page": "/", "views": 5}]), "none"))
    assert "csv-download" not in html and 'data-col="views"' in html
