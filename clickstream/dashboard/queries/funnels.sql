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
-- One row per unit and period with t[k], the unit's first time of step k (NULL: never), in a
-- single hash aggregate: no sort of the steps' rows by unit. 20 is the most steps a funnel
-- has (funnels.py MAX_STEPS, the funnels table's CHECK).
units AS (
    SELECT s.day >= %(start)s AS current, ARRAY[
        min(s.first_at) FILTER (WHERE st.step = 1), min(s.first_at) FILTER (WHERE st.step = 2),
        min(s.first_at) FILTER (WHERE st.step = 3), min(s.first_at) FILTER (WHERE st.step = 4),
        min(s.first_at) FILTER (WHERE st.step = 5), min(s.first_at) FILTER (WHERE st.step = 6),
        min(s.first_at) FILTER (WHERE st.step = 7), min(s.first_at) FILTER (WHERE st.step = 8),
        min(s.first_at) FILTER (WHERE st.step = 9), min(s.first_at) FILTER (WHERE st.step = 10),
        min(s.first_at) FILTER (WHERE st.step = 11), min(s.first_at) FILTER (WHERE st.step = 12),
        min(s.first_at) FILTER (WHERE st.step = 13), min(s.first_at) FILTER (WHERE st.step = 14),
        min(s.first_at) FILTER (WHERE st.step = 15), min(s.first_at) FILTER (WHERE st.step = 16),
        min(s.first_at) FILTER (WHERE st.step = 17), min(s.first_at) FILTER (WHERE st.step = 18),
        min(s.first_at) FILTER (WHERE st.step = 19), min(s.first_at) FILTER (WHERE st.step = 20)
    ] AS t
    FROM steps AS st
    JOIN session_steps AS s ON s.step_kind = st.kind AND s.step_value = st.value
    WHERE s.day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR s.login_state = %(login)s) AND (%(bots)s OR NOT s.is_bot)
        AND (%(sites)s::text[] IS NULL OR s.site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, s.site_id, CASE WHEN %(window)s = 'session' THEN s.day END,
        CASE WHEN %(window)s = 'session' THEN s.session_id ELSE s.client_id END
),
-- How many steps each unit reached: it falls out at its first missing step, step done before
-- the one before it, or (window 'days') step later than window_days after step 1.
walked AS (
    SELECT current, t, (
        SELECT coalesce(min(k), cardinality(%(step_kinds)s::text[]) + 1) - 1
        FROM generate_series(1, cardinality(%(step_kinds)s::text[])) AS k
        WHERE t[k] IS NULL OR k > 1 AND (t[k] < t[k - 1]
            OR %(window)s = 'days' AND t[k] > t[1] + make_interval(days => %(window_days)s))
    ) AS depth
    FROM units
)
SELECT CASE WHEN current THEN 'current' ELSE 'previous' END AS period, k AS step,
    count(*)::bigint AS entrants,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t[k] - t[k - 1]))
        AS median_seconds
FROM walked, generate_series(1, depth) AS k
GROUP BY 1, 2
ORDER BY 1, 2;

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
