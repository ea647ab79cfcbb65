-- Custom funnels (docs/dashboard.md, "Custom funnels"): saved funnel definitions, managed with
-- `clickstream funnels add|list|remove` and from the dashboard's Custom funnels page, and the
-- roll-up their numbers come from: per session, each distinct step key (an event name, a
-- page's path, a goal) with the first time the session did it. The derive fills it per day
-- like the other roll-ups.

CREATE TABLE funnels (
    name        text        PRIMARY KEY,
    -- [{"kind": "event" | "page" | "goal", "value": "..."}, ...], 1 to 20 steps.
    steps       jsonb       NOT NULL CHECK (jsonb_typeof(steps) = 'array'
                            AND jsonb_array_length(steps) BETWEEN 1 AND 20),
    -- 'session': every step in one session; 'days': within window_days of the first step
    -- (by visitor); 'none': by visitor, anywhere in the period.
    window_kind text        NOT NULL CHECK (window_kind IN ('session', 'days', 'none')),
    window_days integer     CHECK (window_days BETWEEN 1 AND 366),
    site_id     text,       -- the site it was made for; NULL: any site
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((window_kind = 'days') = (window_days IS NOT NULL))
);

-- Keyed by the step right after the day and site: a funnel reads its few step keys' rows of
-- a period, which the key's index then finds without reading other steps' rows.
CREATE TABLE session_steps (
    day         date        NOT NULL,
    site_id     text        NOT NULL,
    step_kind   text        NOT NULL,
    step_value  text        NOT NULL,
    session_id  text        NOT NULL,
    client_id   text        NOT NULL,
    login_state text        NOT NULL,
    is_bot      boolean     NOT NULL,
    first_at    timestamptz NOT NULL,
    PRIMARY KEY (day, site_id, step_kind, step_value, session_id)
);

-- The dashboard saves and deletes funnels from its page: its only writes besides sign-in
-- links.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_dashboard') THEN
        GRANT INSERT, UPDATE, DELETE ON funnels TO clickstream_dashboard;
    END IF;
END
$$;
