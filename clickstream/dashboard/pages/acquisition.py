"""Acquisition: where sessions come from (channel, source / medium, campaign, from the
session's first event), with sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from clickstream.dashboard.pages.breakdowns import Breakdown, traffic_page

PAGE = "acquisition"
page_ui, page_server = traffic_page(
    PAGE,
    "Acquisition",
    (
        Breakdown("channel", "By channel", "Channel", limit=None),
        Breakdown("source_medium", "By source / medium", "Source / medium"),
        Breakdown("campaign", "By campaign", "Campaign"),
    ),
)
