"""Reading the ingest replicas' live counters (`GET /live`) for the Live page.

Every configured URL is read at once with a short timeout; the answers are the sources that
`clickstream.ingest.live.summarise` adds up, and each URL that did not answer is named with
the reason, so the page can say which replica it is missing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class LiveRead:
    """The cells each replica that answered gave, and why the others did not."""

    sources: list[list[dict[str, Any]]]
    failures: list[tuple[str, str]]

    @property
    def reached(self) -> int:
        """How many replicas answered."""
        return len(self.sources)


async def _one(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]] | str:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return f"cannot connect ({type(exc).__name__})"
    if response.status_code != 200:
        try:
            detail = str(response.json().get("detail", ""))
        except ValueError:
            detail = ""
        return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
    try:
        cells = response.json()["cells"]
    except (ValueError, KeyError, TypeError):
        return "not a /live answer"
    if not isinstance(cells, list):
        return "not a /live answer"
    return [cell for cell in cells if isinstance(cell, dict)]


async def read_live(urls: list[str], timeout: float = TIMEOUT_SECONDS) -> LiveRead:
    """Every URL's cells, read concurrently; failures named, never raised."""
    # The ingest's private routes are reached directly, never through a proxy from the environment.
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        answers = await asyncio.gather(*(_one(client, url) for url in urls))
    sources = [a for a in answers if not isinstance(a, str)]
    failures = [(url, a) for url, a in zip(urls, answers, strict=True) if isinstance(a, str)]
    return LiveRead(sources, failures)
