"""The HTTP face of the ingest: the plain-ASGI endpoint, status routes and middlewares."""
