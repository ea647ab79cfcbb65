"""What every ingest adapter calls, with no HTTP and no spool: decode, limit, validate, enrich.

`accept(body, Context(receipt))` gives the lake lines (`Accepted`) or why not (`Refused`).
"""

from clickstream.ingest.core.collector import Accepted, Context, Refused, accept

__all__ = ["Accepted", "Context", "Refused", "accept"]
