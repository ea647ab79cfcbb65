"""Process-level concerns: the embedded PostgreSQL, database resolution and `clickstream up`."""
