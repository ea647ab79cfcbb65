-- Custom funnels, faster (docs/dashboard.md, "Custom funnels"): `session_steps` keyed by the
-- step first, each session numbered within its day. The walk (dashboard/queries/funnels.sql)
-- reads each funnel step's rows of a period from the key's index in (day, session number)
-- order and joins step to step on two integers, instead of grouping every row by text keys.
-- The session id text is gone: (day, session_no) is the session.
--
-- The rows are carried over (numbered here: any numbering of a day's sessions is as good as
-- the derive's, as every day is replaced whole), so funnels need no `etl rebuild`.

-- No derive may write session_steps between the copy and the swap (its day would be lost):
-- writers wait, the dashboard still reads until the DROP.
LOCK TABLE session_steps IN EXCLUSIVE MODE;

CREATE TABLE session_steps_by_step (
    day         date        NOT NULL,
    site_id     text        NOT NULL,
    step_kind   text        NOT NULL,
    step_value  text        NOT NULL,
    -- The session within its day: 1, 2, ... over the day's (site_id, session key), all sites.
    session_no  integer     NOT NULL,
    client_id   text        NOT NULL,
    login_state text        NOT NULL,
    is_bot      boolean     NOT NULL,
    first_at    timestamptz NOT NULL
);

INSERT INTO session_steps_by_step
SELECT day, site_id, step_kind, step_value,
    dense_rank() OVER (PARTITION BY day ORDER BY site_id, session_id)::integer, client_id,
    login_state, is_bot, first_at
FROM session_steps
ORDER BY step_kind, step_value, day, 5;

DROP TABLE session_steps;
ALTER TABLE session_steps_by_step RENAME TO session_steps;
ALTER TABLE session_steps ADD CONSTRAINT session_steps_pkey
    PRIMARY KEY (step_kind, step_value, day, session_no);
-- The derive replaces a day's rows (DELETE ... WHERE day = ...); the funnel choices read the
-- last days' steps.
CREATE INDEX session_steps_day_idx ON session_steps (day);
ANALYZE session_steps;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_dashboard') THEN
        GRANT SELECT ON session_steps TO clickstream_dashboard;
    END IF;
END
$$;
