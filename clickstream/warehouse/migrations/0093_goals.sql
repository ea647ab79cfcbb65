-- Goals and custom events (docs/etl.md, "Goals"): goal definitions, managed with
-- `clickstream goals add|list|remove`, and three roll-ups the derive fills per day like the
-- others: conversions per goal, counts per event name, and the top values of each event's
-- property keys.

CREATE TABLE goals (
    name           text PRIMARY KEY,
    event_name     text NOT NULL,
    -- An optional match on the page's URL path (query and fragment left off).
    path           text,
    path_match     text CHECK (path_match IN ('exact', 'prefix')),
    -- An optional match on one top-level key of the event's `properties`, as text.
    property_key   text,
    property_value text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((path IS NULL) = (path_match IS NULL)),
    CHECK ((property_key IS NULL) = (property_value IS NULL))
);

CREATE TABLE goal_daily (
    day         date    NOT NULL,
    goal        text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    sessions    integer NOT NULL,
    completions integer NOT NULL,
    visitors    integer NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, goal)
);

CREATE TABLE event_daily (
    day         date    NOT NULL,
    event_name  text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    events      integer NOT NULL,
    sessions    integer NOT NULL,
    visitors    integer NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, event_name)
);

-- Keyed by event and property right after the day: the Events page asks for one event's one
-- key over a period, which the key's index then reads without filtering other events out.
CREATE TABLE event_property_daily (
    day         date    NOT NULL,
    event_name  text    NOT NULL,
    property    text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    value       text    NOT NULL,
    events      integer NOT NULL,
    sessions    integer NOT NULL,
    PRIMARY KEY (day, event_name, property, login_state, is_bot, value)
);
