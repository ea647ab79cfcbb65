-- Per-site roll-ups (docs/etl.md, "Sites"): every derived table gains the site its rows
-- belong to, and its primary key leads with (day, site_id). A session belongs to the site of
-- its events; the same session id sent by two sites makes two sessions, one per site. Rows
-- derived before this migration belong to the default site until `clickstream etl rebuild`
-- (or a re-derive of their day) computes them again from the events, which carry their site.

ALTER TABLE sessions ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey,
    ADD PRIMARY KEY (day, site_id, session_id);

ALTER TABLE visitor_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE visitor_daily DROP CONSTRAINT visitor_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, client_id);

ALTER TABLE daily_kpis ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE daily_kpis DROP CONSTRAINT daily_kpis_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot);

ALTER TABLE funnel_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE funnel_daily DROP CONSTRAINT funnel_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot);

ALTER TABLE product_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE product_daily DROP CONSTRAINT product_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, product_id);

ALTER TABLE page_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE page_daily DROP CONSTRAINT page_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, page);

ALTER TABLE traffic_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE traffic_daily DROP CONSTRAINT traffic_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, channel, source, medium, campaign,
        device_type, browser, os, country);

ALTER TABLE goal_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE goal_daily DROP CONSTRAINT goal_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, goal);

ALTER TABLE event_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE event_daily DROP CONSTRAINT event_daily_pkey,
    ADD PRIMARY KEY (day, site_id, login_state, is_bot, event_name);

ALTER TABLE event_property_daily ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE event_property_daily DROP CONSTRAINT event_property_daily_pkey,
    ADD PRIMARY KEY (day, site_id, event_name, property, login_state, is_bot, value);

-- The dashboard's statements keep to the chosen sites (`site_id = ANY(...)`), and the
-- sessions' panels also to a session's channel and country: the covering indexes that make
-- those panels index-only scans cover these columns too.
DROP INDEX sessions_panels_idx;
CREATE INDEX sessions_panels_idx ON sessions (day, login_state, is_bot)
    INCLUDE (started_at, duration_seconds, events, device_type, browser, referrer, site_id,
        channel, country);
DROP INDEX clickstream_events_identity_idx;
CREATE INDEX clickstream_events_identity_idx ON clickstream_events (event_timestamp)
    INCLUDE (identity_source, is_bot, site_id) WHERE identity_source IS NOT NULL;
DROP INDEX clickstream_events_purchase_idx;
CREATE INDEX clickstream_events_purchase_idx ON clickstream_events (event_timestamp)
    INCLUDE (event_id, order_id, order_total, site_id) WHERE event_name = 'purchase';
