-- Custom funnels (pages/funnels.py): a saved or edited funnel walked over `session_steps`, for
-- the period and the one before. Steps come as two arrays, %(step_kinds)s and %(step_values)s
-- (event / page / goal and what it matches), the window as %(window)s ('session', 'days' or
-- 'none') and %(window_days)s.

-- name: walk
-- A unit is a session (window 'session') or a visitor of a site (otherwise). Each step counts
-- at the first time the unit did it in the period; a unit reaches step k when it reached step
-- k - 1 and first did step k at or after that (and, window 'days', within window_days of step
-- 1). Per period and step: the units reaching it and the median seconds since the step before.
--
-- Each step is read on its own (sK: a session's first time, vK: a visitor's first time in the
-- period) and the steps are left-joined in order, so a unit's row has t[k] only when it
-- reached step k: no grouping of all the steps' rows by unit. A session is (day, session_no),
-- and the key (step_kind, step_value, day, session_no) gives each step's rows in that order.
-- 20 is the most steps a funnel has (funnels.py MAX_STEPS, the funnels table's CHECK); the
-- steps past the funnel's last compare with NULL, which the planner turns into empty scans,
-- as it does the branch of the other window.
WITH s1 AS (
    SELECT day >= %(start)s AS current, day, session_no, first_at AS t
    FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[1]
        AND step_value = (%(step_values)s::text[])[1]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
),
s2 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[2]
        AND step_value = (%(step_values)s::text[])[2]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s3 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[3]
        AND step_value = (%(step_values)s::text[])[3]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s4 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[4]
        AND step_value = (%(step_values)s::text[])[4]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s5 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[5]
        AND step_value = (%(step_values)s::text[])[5]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s6 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[6]
        AND step_value = (%(step_values)s::text[])[6]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s7 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[7]
        AND step_value = (%(step_values)s::text[])[7]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s8 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[8]
        AND step_value = (%(step_values)s::text[])[8]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s9 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[9]
        AND step_value = (%(step_values)s::text[])[9]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s10 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[10]
        AND step_value = (%(step_values)s::text[])[10]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s11 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[11]
        AND step_value = (%(step_values)s::text[])[11]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s12 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[12]
        AND step_value = (%(step_values)s::text[])[12]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s13 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[13]
        AND step_value = (%(step_values)s::text[])[13]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s14 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[14]
        AND step_value = (%(step_values)s::text[])[14]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s15 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[15]
        AND step_value = (%(step_values)s::text[])[15]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s16 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[16]
        AND step_value = (%(step_values)s::text[])[16]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s17 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[17]
        AND step_value = (%(step_values)s::text[])[17]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s18 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[18]
        AND step_value = (%(step_values)s::text[])[18]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s19 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[19]
        AND step_value = (%(step_values)s::text[])[19]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
s20 AS (
    SELECT day, session_no, first_at AS t FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[20]
        AND step_value = (%(step_values)s::text[])[20]
        AND day BETWEEN %(prev_start)s AND %(end)s
),
sessions AS (
    SELECT s1.current,
        ARRAY[s1.t, s2.t, s3.t, s4.t, s5.t, s6.t, s7.t, s8.t, s9.t, s10.t,
            s11.t, s12.t, s13.t, s14.t, s15.t, s16.t, s17.t, s18.t, s19.t, s20.t] AS t,
        num_nonnulls(s1.t, s2.t, s3.t, s4.t, s5.t, s6.t, s7.t, s8.t, s9.t, s10.t,
            s11.t, s12.t, s13.t, s14.t, s15.t, s16.t, s17.t, s18.t, s19.t, s20.t) AS depth
    FROM s1
    LEFT JOIN s2 ON s2.day = s1.day AND s2.session_no = s1.session_no
        AND s2.t >= s1.t
    LEFT JOIN s3 ON s3.day = s2.day AND s3.session_no = s2.session_no
        AND s3.t >= s2.t
    LEFT JOIN s4 ON s4.day = s3.day AND s4.session_no = s3.session_no
        AND s4.t >= s3.t
    LEFT JOIN s5 ON s5.day = s4.day AND s5.session_no = s4.session_no
        AND s5.t >= s4.t
    LEFT JOIN s6 ON s6.day = s5.day AND s6.session_no = s5.session_no
        AND s6.t >= s5.t
    LEFT JOIN s7 ON s7.day = s6.day AND s7.session_no = s6.session_no
        AND s7.t >= s6.t
    LEFT JOIN s8 ON s8.day = s7.day AND s8.session_no = s7.session_no
        AND s8.t >= s7.t
    LEFT JOIN s9 ON s9.day = s8.day AND s9.session_no = s8.session_no
        AND s9.t >= s8.t
    LEFT JOIN s10 ON s10.day = s9.day AND s10.session_no = s9.session_no
        AND s10.t >= s9.t
    LEFT JOIN s11 ON s11.day = s10.day AND s11.session_no = s10.session_no
        AND s11.t >= s10.t
    LEFT JOIN s12 ON s12.day = s11.day AND s12.session_no = s11.session_no
        AND s12.t >= s11.t
    LEFT JOIN s13 ON s13.day = s12.day AND s13.session_no = s12.session_no
        AND s13.t >= s12.t
    LEFT JOIN s14 ON s14.day = s13.day AND s14.session_no = s13.session_no
        AND s14.t >= s13.t
    LEFT JOIN s15 ON s15.day = s14.day AND s15.session_no = s14.session_no
        AND s15.t >= s14.t
    LEFT JOIN s16 ON s16.day = s15.day AND s16.session_no = s15.session_no
        AND s16.t >= s15.t
    LEFT JOIN s17 ON s17.day = s16.day AND s17.session_no = s16.session_no
        AND s17.t >= s16.t
    LEFT JOIN s18 ON s18.day = s17.day AND s18.session_no = s17.session_no
        AND s18.t >= s17.t
    LEFT JOIN s19 ON s19.day = s18.day AND s19.session_no = s18.session_no
        AND s19.t >= s18.t
    LEFT JOIN s20 ON s20.day = s19.day AND s20.session_no = s19.session_no
        AND s20.t >= s19.t
),
v1 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[1]
        AND step_value = (%(step_values)s::text[])[1]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v2 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[2]
        AND step_value = (%(step_values)s::text[])[2]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v3 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[3]
        AND step_value = (%(step_values)s::text[])[3]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v4 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[4]
        AND step_value = (%(step_values)s::text[])[4]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v5 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[5]
        AND step_value = (%(step_values)s::text[])[5]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v6 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[6]
        AND step_value = (%(step_values)s::text[])[6]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v7 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[7]
        AND step_value = (%(step_values)s::text[])[7]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v8 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[8]
        AND step_value = (%(step_values)s::text[])[8]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v9 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[9]
        AND step_value = (%(step_values)s::text[])[9]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v10 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[10]
        AND step_value = (%(step_values)s::text[])[10]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v11 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[11]
        AND step_value = (%(step_values)s::text[])[11]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v12 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[12]
        AND step_value = (%(step_values)s::text[])[12]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v13 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[13]
        AND step_value = (%(step_values)s::text[])[13]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v14 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[14]
        AND step_value = (%(step_values)s::text[])[14]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v15 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[15]
        AND step_value = (%(step_values)s::text[])[15]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v16 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[16]
        AND step_value = (%(step_values)s::text[])[16]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v17 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[17]
        AND step_value = (%(step_values)s::text[])[17]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v18 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[18]
        AND step_value = (%(step_values)s::text[])[18]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v19 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[19]
        AND step_value = (%(step_values)s::text[])[19]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
v20 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[20]
        AND step_value = (%(step_values)s::text[])[20]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    GROUP BY 1, 2, 3
),
visitors AS (
    SELECT v1.current,
        ARRAY[v1.t, v2.t, v3.t, v4.t, v5.t, v6.t, v7.t, v8.t, v9.t, v10.t,
            v11.t, v12.t, v13.t, v14.t, v15.t, v16.t, v17.t, v18.t, v19.t, v20.t] AS t,
        num_nonnulls(v1.t, v2.t, v3.t, v4.t, v5.t, v6.t, v7.t, v8.t, v9.t, v10.t,
            v11.t, v12.t, v13.t, v14.t, v15.t, v16.t, v17.t, v18.t, v19.t, v20.t) AS depth
    FROM v1
    LEFT JOIN v2 ON v2.current = v1.current AND v2.site_id = v1.site_id
        AND v2.client_id = v1.client_id AND v2.t >= v1.t
        AND (%(window)s = 'none' OR v2.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v3 ON v3.current = v2.current AND v3.site_id = v2.site_id
        AND v3.client_id = v2.client_id AND v3.t >= v2.t
        AND (%(window)s = 'none' OR v3.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v4 ON v4.current = v3.current AND v4.site_id = v3.site_id
        AND v4.client_id = v3.client_id AND v4.t >= v3.t
        AND (%(window)s = 'none' OR v4.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v5 ON v5.current = v4.current AND v5.site_id = v4.site_id
        AND v5.client_id = v4.client_id AND v5.t >= v4.t
        AND (%(window)s = 'none' OR v5.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v6 ON v6.current = v5.current AND v6.site_id = v5.site_id
        AND v6.client_id = v5.client_id AND v6.t >= v5.t
        AND (%(window)s = 'none' OR v6.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v7 ON v7.current = v6.current AND v7.site_id = v6.site_id
        AND v7.client_id = v6.client_id AND v7.t >= v6.t
        AND (%(window)s = 'none' OR v7.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v8 ON v8.current = v7.current AND v8.site_id = v7.site_id
        AND v8.client_id = v7.client_id AND v8.t >= v7.t
        AND (%(window)s = 'none' OR v8.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v9 ON v9.current = v8.current AND v9.site_id = v8.site_id
        AND v9.client_id = v8.client_id AND v9.t >= v8.t
        AND (%(window)s = 'none' OR v9.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v10 ON v10.current = v9.current AND v10.site_id = v9.site_id
        AND v10.client_id = v9.client_id AND v10.t >= v9.t
        AND (%(window)s = 'none' OR v10.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v11 ON v11.current = v10.current AND v11.site_id = v10.site_id
        AND v11.client_id = v10.client_id AND v11.t >= v10.t
        AND (%(window)s = 'none' OR v11.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v12 ON v12.current = v11.current AND v12.site_id = v11.site_id
        AND v12.client_id = v11.client_id AND v12.t >= v11.t
        AND (%(window)s = 'none' OR v12.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v13 ON v13.current = v12.current AND v13.site_id = v12.site_id
        AND v13.client_id = v12.client_id AND v13.t >= v12.t
        AND (%(window)s = 'none' OR v13.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v14 ON v14.current = v13.current AND v14.site_id = v13.site_id
        AND v14.client_id = v13.client_id AND v14.t >= v13.t
        AND (%(window)s = 'none' OR v14.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v15 ON v15.current = v14.current AND v15.site_id = v14.site_id
        AND v15.client_id = v14.client_id AND v15.t >= v14.t
        AND (%(window)s = 'none' OR v15.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v16 ON v16.current = v15.current AND v16.site_id = v15.site_id
        AND v16.client_id = v15.client_id AND v16.t >= v15.t
        AND (%(window)s = 'none' OR v16.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v17 ON v17.current = v16.current AND v17.site_id = v16.site_id
        AND v17.client_id = v16.client_id AND v17.t >= v16.t
        AND (%(window)s = 'none' OR v17.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v18 ON v18.current = v17.current AND v18.site_id = v17.site_id
        AND v18.client_id = v17.client_id AND v18.t >= v17.t
        AND (%(window)s = 'none' OR v18.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v19 ON v19.current = v18.current AND v19.site_id = v18.site_id
        AND v19.client_id = v18.client_id AND v19.t >= v18.t
        AND (%(window)s = 'none' OR v19.t <= v1.t + make_interval(days => %(window_days)s))
    LEFT JOIN v20 ON v20.current = v19.current AND v20.site_id = v19.site_id
        AND v20.client_id = v19.client_id AND v20.t >= v19.t
        AND (%(window)s = 'none' OR v20.t <= v1.t + make_interval(days => %(window_days)s))
)

SELECT CASE WHEN current THEN 'current' ELSE 'previous' END AS period, step,
    count(*)::bigint AS entrants,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_seconds
FROM (
    -- OFFSET 0: the gaps are computed here, so the sort below carries three columns, not t.
    SELECT current, k AS step, extract(epoch FROM t[k] - t[k - 1]) AS gap
    FROM (SELECT * FROM sessions UNION ALL SELECT * FROM visitors) AS units,
        generate_series(1, depth) AS k
    OFFSET 0
) AS reached
GROUP BY current, step
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
