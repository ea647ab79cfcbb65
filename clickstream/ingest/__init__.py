"""The ingest API: `POST /clickstream` validates, enriches and durably writes events."""
