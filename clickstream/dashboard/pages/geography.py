"""Geography: the countries sessions come from (looked up from the client IP at ingest),
with sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from clickstream.dashboard.pages.breakdowns import Breakdown, traffic_page

PAGE = "geography"
page_ui, page_server = traffic_page(
    PAGE, "Geography", (Breakdown("country", "By country", "Country"),)
)
