-- Saved custom funnels, precomputed (docs/dashboard.md, "Custom funnels"): per saved funnel
-- definition with window 'session' (its steps in order), day, site, login state, bot flag and
-- step, the sessions reaching the step and every such session's seconds since the step
-- before. A session's steps are all in one day, so a period's figures are the sum of its
-- days': the dashboard adds the days up instead of walking `session_steps` per request.
-- The derive fills them (warehouse/funnel_days.py, in the derive's transaction) and
-- `funnel_days_covered` says which days of which definition are computed; the dashboard
-- reads the roll-up only when every day of the period that has session steps is covered.

CREATE TABLE funnel_days (
    -- md5 of the window and the ordered steps (warehouse/funnel_days.py, definition_key).
    definition  text               NOT NULL,
    day         date               NOT NULL,
    site_id     text               NOT NULL,
    login_state text               NOT NULL,
    is_bot      boolean            NOT NULL,
    step        integer            NOT NULL,
    entrants    bigint             NOT NULL,
    -- Each entrant's extract(epoch FROM its step's time - the step before's) as the walk
    -- computes it, as float8, sorted; empty for step 1.
    gaps        double precision[] NOT NULL,
    PRIMARY KEY (definition, day, site_id, login_state, is_bot, step)
);

CREATE TABLE funnel_days_covered (
    definition  text NOT NULL,
    day         date NOT NULL,
    PRIMARY KEY (definition, day)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_dashboard') THEN
        GRANT SELECT ON funnel_days, funnel_days_covered TO clickstream_dashboard;
    END IF;
END
$$;
