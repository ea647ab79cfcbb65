"""Lake objects gunzipped in Spark's tasks by the DuckDB engine's own `extract.decompress`.

Spark's text reader fails the whole job on a torn or corrupt gzip object. The DuckDB engine
keeps such an object's whole lines and rejects the fault itself as one more received line
(line 0, `corrupt gzip stream: ...`); reading the objects' bytes (`binaryFile`) and
decompressing them here does exactly the same on Spark, in the tasks that read them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow

from clickstream.etl.extract import decompress

# What `gunzip` returns per object: its key, its text and why part of it could not be read.
SCHEMA = "source_file STRING, value STRING, fault STRING"
ARROW_SCHEMA = pyarrow.schema(
    [("source_file", pyarrow.string()), ("value", pyarrow.string()), ("fault", pyarrow.string())]
)


def gunzip(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """(source_file, content bytes) batches -> (source_file, text, fault); invalid UTF-8
    becomes U+FFFD, as `extract.fetch` decodes it."""
    for batch in batches:
        keys = batch.column("source_file").to_pylist()
        texts: list[str] = []
        faults: list[str | None] = []
        for data in batch.column("content").to_pylist():
            raw, fault = decompress(data)
            texts.append(raw.decode("utf-8", errors="replace"))
            faults.append(fault)
        yield pyarrow.RecordBatch.from_pydict(
            {"source_file": keys, "value": texts, "fault": faults},
            schema=ARROW_SCHEMA,
        )
