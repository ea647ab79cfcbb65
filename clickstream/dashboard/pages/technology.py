"""Technology: the device types, browsers and operating systems of sessions, with
sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from clickstream.dashboard.pages.breakdowns import Breakdown, traffic_page

PAGE = "technology"
page_ui, page_server = traffic_page(
    PAGE,
    "Technology",
    (
        Breakdown("device", "By device type", "Device type", limit=None),
        Breakdown("browser", "By browser", "Browser"),
        Breakdown("os", "By operating system", "Operating system"),
    ),
)
