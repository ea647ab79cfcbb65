"""The ingest tests' server fixtures, for the hostile-input cases that need a running ingest."""

from tests.ingest.conftest import ingest, make_ingest

__all__ = ["ingest", "make_ingest"]
