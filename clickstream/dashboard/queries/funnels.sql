-- Custom funnels (pages/funnels.py): a saved or edited funnel walked over `session_steps`, for
-- the period and the one before. Steps come as two arrays, %(step_kinds)s and %(step_values)s
-- (event / page / goal and what it matches), the window as %(window)s ('session', 'days' or
-- 'none') and %(window_days)s.

-- name: walk
-- A unit is a session (window 'session') or a visitor of a site (otherwise). Each step counts
-- at the first time the unit did it in the period; a unit reaches step k when it reached step
-- k - 1 and first did step k at or after that (and, window 'days', within window_days of step
-- 1). Per period and step: the units reaching it and the median seconds since the step before.
WITH steps AS (
    SELECT k.kind, k.value, k.n::int AS step
    FROM unnest(%(step_kinds)s::text[], %(step_values)s::text[]) WITH ORDINALITY
        AS k(kind, value, n)
),
hits AS (
    SELECT CASE WHEN s.day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
        s.site_id,
        CASE WHEN %(window)s = 'session' THEN s.day END AS unit_day,
        CASE WHEN %(window)s = 'session' THEN s.session_id ELSE s.client_id END AS unit,
        st.step, min(s.first_at) AS t
    FROM steps AS st
    JOIN session_steps AS s ON s.step_kind = st.kind AND s.step_value = st.value
    WHERE s.day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR s.login_state = %(login)s) AND (%(bots)s OR NOT s.is_bot)
        AND (%(sites)s::text[] IS NULL OR s.site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3, 4, 5
),
ordered AS (
    SELECT period, site_id, unit_day, unit, step, t,
        t - lag(t) OVER w AS gap,
        -- A unit falls out at its first missing step, step out of order, or step too late.
        row_number() OVER w <> step OR t < lag(t) OVER w
            OR (%(window)s = 'days'
                AND t > first_value(t) OVER w + make_interval(days => %(window_days)s))
            AS breaks
    FROM hits
    WINDOW w AS (PARTITION BY period, site_id, unit_day, unit ORDER BY step)
),
reached AS (
    SELECT period, step, gap,
        bool_or(coalesce(breaks, false)) OVER (PARTITION BY period, site_id, unit_day, unit
            ORDER BY step ROWS UNBOUNDED PRECEDING) AS out
    FROM ordered
)
SELECT period, step, count(*)::bigint AS entrants,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap)) AS median_seconds
FROM reached
WHERE NOT out
GROUP BY period, step
ORDER BY period, step;

-- name: saved
SELECT name, steps, window_kind, window_days, site_id FROM funnels ORDER BY name;

-- name: choices
-- What a step can be: the event names, page_view paths and goals sessions did in the last
-- (at most) 7 days of the period, most used first.
SELECT step_kind AS kind, step_value AS value, count(*)::bigint AS sessions
FROM session_steps
WHERE day BETWEEN greatest(%(start)s::date, %(end)s::date - 6) AND %(end)s
    AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY step_kind, step_value
ORDER BY kind, sessions DESC, value
LIMIT 600;
