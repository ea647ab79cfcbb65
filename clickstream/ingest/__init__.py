"""The ingest API: `POST /clickstream` validates, enriches and durably writes events.

`core/` turns a body into lake lines (no HTTP, no spool), `http/` serves it, `durability/`
keeps what was acknowledged until the lake has it, `auth/` verifies bearer tokens.
"""
