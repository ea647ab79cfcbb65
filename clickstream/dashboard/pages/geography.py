"""Geography: the countries sessions come from (looked up from the client IP at ingest) and,
when the ingest's MaxMind database gives them, their regions (ISO 3166-2), with sessions,
conversion and revenue beside the previous period's."""

from __future__ import annotations

from clickstream.dashboard.pages.breakdowns import Breakdown, traffic_page

PAGE = "geography"
page_ui, page_server = traffic_page(
    PAGE,
    "Geography",
    (
        Breakdown("country", "By country", "Country"),
        Breakdown("region", "By region", "Region", statement="regions", optional=True),
    ),
)
