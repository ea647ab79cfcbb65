-- Retention and journeys (docs/dashboard.md, "Retention" and "Journeys"): three roll-ups the
-- derive fills per day like the others, and two the derive's follow-up step keeps across
-- days (`etl/derive/retention.py`). Days derived before this migration have no rows in them
-- until `clickstream etl rebuild` derives them again.

CREATE TABLE visitor_activity_daily (
    day                 date    NOT NULL,
    site_id             text    NOT NULL,
    client_id           text    NOT NULL,
    login_state         text    NOT NULL,
    is_bot              boolean NOT NULL,
    sessions            integer NOT NULL,
    purchasing_sessions integer NOT NULL,
    PRIMARY KEY (day, site_id, client_id)
);
-- A visitor's days, for recomputing first days of the visitors a derive touched.
CREATE INDEX visitor_activity_daily_visitor_idx
    ON visitor_activity_daily (site_id, client_id, day);

CREATE TABLE journey_daily (
    day         date    NOT NULL,
    site_id     text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    anchor      text    NOT NULL,
    depth       integer NOT NULL CHECK (depth BETWEEN -3 AND 3 AND depth <> 0),
    step_from   text    NOT NULL,
    step_to     text    NOT NULL,
    transitions integer NOT NULL,
    PRIMARY KEY (day, site_id, login_state, is_bot, anchor, depth, step_from, step_to)
);
-- The Journeys page reads one anchor over a period.
CREATE INDEX journey_daily_anchor_idx ON journey_daily (anchor, day);

CREATE TABLE entry_exit_daily (
    day                 date    NOT NULL,
    site_id             text    NOT NULL,
    login_state         text    NOT NULL,
    is_bot              boolean NOT NULL,
    kind                text    NOT NULL CHECK (kind IN ('entry', 'exit')),
    page                text    NOT NULL,
    sessions            integer NOT NULL,
    purchasing_sessions integer NOT NULL,
    PRIMARY KEY (day, site_id, login_state, is_bot, kind, page)
);

CREATE TABLE visitor_first_seen (
    site_id     text    NOT NULL,
    client_id   text    NOT NULL,
    first_day   date    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    PRIMARY KEY (site_id, client_id)
);

CREATE TABLE retention_daily (
    day             date    NOT NULL,
    site_id         text    NOT NULL,
    first_day       date    NOT NULL,
    login_state     text    NOT NULL,
    is_bot          boolean NOT NULL,
    visitors        integer NOT NULL,
    purchasers      integer NOT NULL,
    week_visitors   integer NOT NULL,
    week_purchasers integer NOT NULL,
    PRIMARY KEY (day, site_id, first_day, login_state, is_bot)
);
