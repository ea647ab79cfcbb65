-- Saved custom funnels, precomputed per day (migration 0100, docs/dashboard.md "Custom
-- funnels"): the statements `funnel_days.py` runs in the derive's transaction and from
-- `clickstream funnels add`.

-- A definition's key (`definition`) is md5 of 'session' and its steps' kinds and values as two
-- JSON arrays: written out below from the steps given, from the `funnels` rows in `keep_saved`,
-- and in the dashboard's `funnels.sql`; always the same expression.

-- name: clear
-- A definition's rows of the days %(days)s, before `fill` writes them again.
DELETE FROM funnel_days
WHERE definition = md5('session' || array_to_json(%(step_kinds)s::text[])::text
        || array_to_json(%(step_values)s::text[])::text)
    AND day = ANY(%(days)s::date[]);

-- name: fill
-- One session-window funnel definition (its steps as %(step_kinds)s and %(step_values)s) over
-- the days %(days)s, `clear`ed first: the days' rows written and the days marked covered.
-- Units, steps and times exactly as `dashboard/queries/funnels.sql`'s `walk` counts them in
-- the session window (see there): per session, its steps' first times left-joined from the
-- last step back; then per day, site, login state, bot flag and step, the sessions reaching
-- the step and each one's seconds since the step before, the walk's
-- extract(epoch FROM t[step] - t[step - 1]) taken to float8 as its percentile_cont takes it,
-- sorted (the dashboard finds a period's median by binary search over the sorted arrays).
-- Only the days' rows of session_steps are read, from the key's index. The steps past the
-- funnel's last compare with NULL and plan as empty relations: run it unprepared.
WITH key AS (
    SELECT md5('session' || array_to_json(%(step_kinds)s::text[])::text
        || array_to_json(%(step_values)s::text[])::text) AS definition
),
s1 AS (
    SELECT day, session_no, site_id, login_state, is_bot, first_at AS t
    FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[1] AND step_value = (%(step_values)s::text[])[1]
        AND day = ANY(%(days)s::date[])
),
s2 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[2]
        AND step_value = (%(step_values)s::text[])[2]
        AND day = ANY(%(days)s::date[])
),
s3 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[3]
        AND step_value = (%(step_values)s::text[])[3]
        AND day = ANY(%(days)s::date[])
),
s4 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[4]
        AND step_value = (%(step_values)s::text[])[4]
        AND day = ANY(%(days)s::date[])
),
s5 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[5]
        AND step_value = (%(step_values)s::text[])[5]
        AND day = ANY(%(days)s::date[])
),
s6 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[6]
        AND step_value = (%(step_values)s::text[])[6]
        AND day = ANY(%(days)s::date[])
),
s7 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[7]
        AND step_value = (%(step_values)s::text[])[7]
        AND day = ANY(%(days)s::date[])
),
s8 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[8]
        AND step_value = (%(step_values)s::text[])[8]
        AND day = ANY(%(days)s::date[])
),
s9 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[9]
        AND step_value = (%(step_values)s::text[])[9]
        AND day = ANY(%(days)s::date[])
),
s10 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[10]
        AND step_value = (%(step_values)s::text[])[10]
        AND day = ANY(%(days)s::date[])
),
s11 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[11]
        AND step_value = (%(step_values)s::text[])[11]
        AND day = ANY(%(days)s::date[])
),
s12 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[12]
        AND step_value = (%(step_values)s::text[])[12]
        AND day = ANY(%(days)s::date[])
),
s13 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[13]
        AND step_value = (%(step_values)s::text[])[13]
        AND day = ANY(%(days)s::date[])
),
s14 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[14]
        AND step_value = (%(step_values)s::text[])[14]
        AND day = ANY(%(days)s::date[])
),
s15 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[15]
        AND step_value = (%(step_values)s::text[])[15]
        AND day = ANY(%(days)s::date[])
),
s16 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[16]
        AND step_value = (%(step_values)s::text[])[16]
        AND day = ANY(%(days)s::date[])
),
s17 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[17]
        AND step_value = (%(step_values)s::text[])[17]
        AND day = ANY(%(days)s::date[])
),
s18 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[18]
        AND step_value = (%(step_values)s::text[])[18]
        AND day = ANY(%(days)s::date[])
),
s19 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[19]
        AND step_value = (%(step_values)s::text[])[19]
        AND day = ANY(%(days)s::date[])
),
s20 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE step_kind = (%(step_kinds)s::text[])[20]
        AND step_value = (%(step_values)s::text[])[20]
        AND day = ANY(%(days)s::date[])
),
sessions AS (
    SELECT s1.day, s1.site_id, s1.login_state, s1.is_bot,
        ARRAY[s1.t, s2.t, s3.t, s4.t, s5.t, s6.t, s7.t, s8.t, s9.t, s10.t,
            s11.t, s12.t, s13.t, s14.t, s15.t, s16.t, s17.t, s18.t, s19.t, s20.t] AS t,
        num_nonnulls(s1.t, s2.t, s3.t, s4.t, s5.t, s6.t, s7.t, s8.t, s9.t, s10.t,
            s11.t, s12.t, s13.t, s14.t, s15.t, s16.t, s17.t, s18.t, s19.t, s20.t) AS depth
    FROM s1
    LEFT JOIN (s2
    LEFT JOIN (s3
    LEFT JOIN (s4
    LEFT JOIN (s5
    LEFT JOIN (s6
    LEFT JOIN (s7
    LEFT JOIN (s8
    LEFT JOIN (s9
    LEFT JOIN (s10
    LEFT JOIN (s11
    LEFT JOIN (s12
    LEFT JOIN (s13
    LEFT JOIN (s14
    LEFT JOIN (s15
    LEFT JOIN (s16
    LEFT JOIN (s17
    LEFT JOIN (s18
    LEFT JOIN (s19
    LEFT JOIN s20
        ON s20.day = s19.day AND s20.session_no = s19.session_no AND s20.t >= s19.t)
        ON s19.day = s18.day AND s19.session_no = s18.session_no AND s19.t >= s18.t)
        ON s18.day = s17.day AND s18.session_no = s17.session_no AND s18.t >= s17.t)
        ON s17.day = s16.day AND s17.session_no = s16.session_no AND s17.t >= s16.t)
        ON s16.day = s15.day AND s16.session_no = s15.session_no AND s16.t >= s15.t)
        ON s15.day = s14.day AND s15.session_no = s14.session_no AND s15.t >= s14.t)
        ON s14.day = s13.day AND s14.session_no = s13.session_no AND s14.t >= s13.t)
        ON s13.day = s12.day AND s13.session_no = s12.session_no AND s13.t >= s12.t)
        ON s12.day = s11.day AND s12.session_no = s11.session_no AND s12.t >= s11.t)
        ON s11.day = s10.day AND s11.session_no = s10.session_no AND s11.t >= s10.t)
        ON s10.day = s9.day AND s10.session_no = s9.session_no AND s10.t >= s9.t)
        ON s9.day = s8.day AND s9.session_no = s8.session_no AND s9.t >= s8.t)
        ON s8.day = s7.day AND s8.session_no = s7.session_no AND s8.t >= s7.t)
        ON s7.day = s6.day AND s7.session_no = s6.session_no AND s7.t >= s6.t)
        ON s6.day = s5.day AND s6.session_no = s5.session_no AND s6.t >= s5.t)
        ON s5.day = s4.day AND s5.session_no = s4.session_no AND s5.t >= s4.t)
        ON s4.day = s3.day AND s4.session_no = s3.session_no AND s4.t >= s3.t)
        ON s3.day = s2.day AND s3.session_no = s2.session_no AND s3.t >= s2.t)
        ON s2.day = s1.day AND s2.session_no = s1.session_no AND s2.t >= s1.t
),
reached AS (
    SELECT day, site_id, login_state, is_bot, step,
        extract(epoch FROM t[step] - t[step - 1])::float8 AS gap
    FROM (
        SELECT day, site_id, login_state, is_bot, t, generate_series(1, depth) AS step
        FROM sessions
    ) AS expanded
),
added AS (
    INSERT INTO funnel_days (definition, day, site_id, login_state, is_bot, step, entrants,
        gaps)
    SELECT (SELECT definition FROM key), day, site_id, login_state, is_bot, step, count(*),
        coalesce(array_agg(gap ORDER BY gap) FILTER (WHERE gap IS NOT NULL), '{}')
    FROM reached
    GROUP BY day, site_id, login_state, is_bot, step
    RETURNING 1
),
covered AS (
    INSERT INTO funnel_days_covered (definition, day)
    SELECT (SELECT definition FROM key), day FROM unnest(%(days)s::date[]) AS day
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM added) AS rows_added, (SELECT count(*) FROM covered) AS days_added;

-- name: jit_off
-- For the fill only: its estimates (a row per session and step, millions) would have it JIT
-- compiled, which took 0.5 s of a day's 0.6 s on the 10M warehouse.
SELECT current_setting('jit') AS was, set_config('jit', 'off', true);

-- name: jit_back
SELECT set_config('jit', %(was)s, true);

-- name: keep_saved
-- The saved session-window funnels' definitions, as their steps' kinds and values; the rows
-- of every other definition deleted, in the same statement (one snapshot of `funnels`).
WITH saved AS (
    SELECT DISTINCT kinds, step_values,
        md5('session' || array_to_json(kinds)::text || array_to_json(step_values)::text)
            AS definition
    FROM (
        SELECT ARRAY(SELECT e ->> 'kind' FROM jsonb_array_elements(steps)
                WITH ORDINALITY AS x(e, i) ORDER BY i) AS kinds,
            ARRAY(SELECT e ->> 'value' FROM jsonb_array_elements(steps)
                WITH ORDINALITY AS x(e, i) ORDER BY i) AS step_values
        FROM funnels WHERE window_kind = 'session'
    ) AS s
),
rows_gone AS (
    DELETE FROM funnel_days WHERE definition NOT IN (SELECT definition FROM saved)
),
days_gone AS (
    DELETE FROM funnel_days_covered WHERE definition NOT IN (SELECT definition FROM saved)
)
SELECT kinds, step_values FROM saved ORDER BY definition;

-- name: stepped_days
-- The days session_steps has rows of, one probe of its day index each.
WITH RECURSIVE found AS (
    SELECT min(day) AS day FROM session_steps
    UNION ALL
    SELECT (SELECT min(day) FROM session_steps WHERE day > found.day)
    FROM found WHERE found.day IS NOT NULL
)
SELECT day FROM found WHERE day IS NOT NULL;

-- name: covered_days
SELECT day FROM funnel_days_covered
WHERE definition = md5('session' || array_to_json(%(step_kinds)s::text[])::text
    || array_to_json(%(step_values)s::text[])::text);
