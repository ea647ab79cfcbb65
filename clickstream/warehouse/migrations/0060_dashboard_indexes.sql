-- Indexes for the dashboards' panels that cannot be served by the derived tables.

-- Identity source is kept on events only: a covering partial index over logged-in events lets
-- the behaviour page count them by source with an index-only scan of the chosen days.
CREATE INDEX clickstream_events_identity_idx ON clickstream_events (event_timestamp)
    INCLUDE (identity_source, is_bot) WHERE identity_source IS NOT NULL;

-- The pipeline page reads runs and quarantine by time.
CREATE INDEX etl_runs_started_idx ON etl_runs (started_at);
CREATE INDEX etl_quarantine_time_idx ON etl_quarantine (quarantined_at);

-- The behaviour and sessions pages group a range of days' sessions by start hour, duration,
-- depth, referrer, device and browser: covering those columns makes them index-only scans.
CREATE INDEX sessions_panels_idx ON sessions (day, login_state, is_bot)
    INCLUDE (started_at, duration_seconds, events, device_type, browser, referrer);
