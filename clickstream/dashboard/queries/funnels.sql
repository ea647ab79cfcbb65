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
-- Each step is read on its own, from the key's index (sK: each session's first time of step
-- K; vK: each visitor's first time in the period, grouped), and the steps are left-joined
-- from the last one back: step K's row gets step K + 1's when that is at or after it, so a
-- unit's times t[1..depth] are those of the steps it reached, in order (and, as they only
-- grow, window 'days' keeps those within window_days of t[1]). A session is
-- (day, session_no): the join is on two integers, with no grouping of the steps' rows.
-- 20 is the most steps a funnel has (funnels.py MAX_STEPS, the funnels table's CHECK); the
-- steps past the funnel's last compare with NULL, which the planner turns into empty
-- relations (and a join from an empty one into nothing), as it does the other window's half.
-- That holds because every call is planned with its own parameters: the dashboard's pool
-- never prepares statements (`prepare_threshold=None`, dashboard/warehouse.py); a generic
-- plan would read all forty step relations.
WITH s1 AS (
    SELECT day >= %(start)s AS current, day, session_no, first_at AS t
    FROM session_steps
    WHERE %(window)s = 'session' AND step_kind = (%(step_kinds)s::text[])[1]
        AND step_value = (%(step_values)s::text[])[1]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
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
v1 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t,
        CASE WHEN %(window)s = 'days' THEN min(first_at) + make_interval(days => %(window_days)s)
            ELSE 'infinity' END AS last
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[1]
        AND step_value = (%(step_values)s::text[])[1]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v2 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[2]
        AND step_value = (%(step_values)s::text[])[2]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v3 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[3]
        AND step_value = (%(step_values)s::text[])[3]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v4 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[4]
        AND step_value = (%(step_values)s::text[])[4]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v5 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[5]
        AND step_value = (%(step_values)s::text[])[5]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v6 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[6]
        AND step_value = (%(step_values)s::text[])[6]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v7 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[7]
        AND step_value = (%(step_values)s::text[])[7]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v8 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[8]
        AND step_value = (%(step_values)s::text[])[8]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v9 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[9]
        AND step_value = (%(step_values)s::text[])[9]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v10 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[10]
        AND step_value = (%(step_values)s::text[])[10]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v11 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[11]
        AND step_value = (%(step_values)s::text[])[11]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v12 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[12]
        AND step_value = (%(step_values)s::text[])[12]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v13 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[13]
        AND step_value = (%(step_values)s::text[])[13]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v14 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[14]
        AND step_value = (%(step_values)s::text[])[14]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v15 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[15]
        AND step_value = (%(step_values)s::text[])[15]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v16 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[16]
        AND step_value = (%(step_values)s::text[])[16]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v17 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[17]
        AND step_value = (%(step_values)s::text[])[17]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v18 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[18]
        AND step_value = (%(step_values)s::text[])[18]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v19 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[19]
        AND step_value = (%(step_values)s::text[])[19]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
v20 AS (
    SELECT day >= %(start)s AS current, site_id, client_id, min(first_at) AS t
    FROM session_steps
    WHERE %(window)s <> 'session' AND step_kind = (%(step_kinds)s::text[])[20]
        AND step_value = (%(step_values)s::text[])[20]
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY 1, 2, 3
),
visitors AS (
    SELECT v1.current,
        ARRAY[v1.t, v2.t, v3.t, v4.t, v5.t, v6.t, v7.t, v8.t, v9.t, v10.t,
            v11.t, v12.t, v13.t, v14.t, v15.t, v16.t, v17.t, v18.t, v19.t, v20.t] AS t,
        num_nonnulls(v1.t,
            nullif(v2.t <= v1.last, false), nullif(v3.t <= v1.last, false),
            nullif(v4.t <= v1.last, false), nullif(v5.t <= v1.last, false),
            nullif(v6.t <= v1.last, false), nullif(v7.t <= v1.last, false),
            nullif(v8.t <= v1.last, false), nullif(v9.t <= v1.last, false),
            nullif(v10.t <= v1.last, false), nullif(v11.t <= v1.last, false),
            nullif(v12.t <= v1.last, false), nullif(v13.t <= v1.last, false),
            nullif(v14.t <= v1.last, false), nullif(v15.t <= v1.last, false),
            nullif(v16.t <= v1.last, false), nullif(v17.t <= v1.last, false),
            nullif(v18.t <= v1.last, false), nullif(v19.t <= v1.last, false),
            nullif(v20.t <= v1.last, false)) AS depth
    FROM v1
    LEFT JOIN (v2
    LEFT JOIN (v3
    LEFT JOIN (v4
    LEFT JOIN (v5
    LEFT JOIN (v6
    LEFT JOIN (v7
    LEFT JOIN (v8
    LEFT JOIN (v9
    LEFT JOIN (v10
    LEFT JOIN (v11
    LEFT JOIN (v12
    LEFT JOIN (v13
    LEFT JOIN (v14
    LEFT JOIN (v15
    LEFT JOIN (v16
    LEFT JOIN (v17
    LEFT JOIN (v18
    LEFT JOIN (v19
    LEFT JOIN v20
        ON (v20.current, v20.site_id, v20.client_id)
            = (v19.current, v19.site_id, v19.client_id) AND v20.t >= v19.t)
        ON (v19.current, v19.site_id, v19.client_id)
            = (v18.current, v18.site_id, v18.client_id) AND v19.t >= v18.t)
        ON (v18.current, v18.site_id, v18.client_id)
            = (v17.current, v17.site_id, v17.client_id) AND v18.t >= v17.t)
        ON (v17.current, v17.site_id, v17.client_id)
            = (v16.current, v16.site_id, v16.client_id) AND v17.t >= v16.t)
        ON (v16.current, v16.site_id, v16.client_id)
            = (v15.current, v15.site_id, v15.client_id) AND v16.t >= v15.t)
        ON (v15.current, v15.site_id, v15.client_id)
            = (v14.current, v14.site_id, v14.client_id) AND v15.t >= v14.t)
        ON (v14.current, v14.site_id, v14.client_id)
            = (v13.current, v13.site_id, v13.client_id) AND v14.t >= v13.t)
        ON (v13.current, v13.site_id, v13.client_id)
            = (v12.current, v12.site_id, v12.client_id) AND v13.t >= v12.t)
        ON (v12.current, v12.site_id, v12.client_id)
            = (v11.current, v11.site_id, v11.client_id) AND v12.t >= v11.t)
        ON (v11.current, v11.site_id, v11.client_id)
            = (v10.current, v10.site_id, v10.client_id) AND v11.t >= v10.t)
        ON (v10.current, v10.site_id, v10.client_id)
            = (v9.current, v9.site_id, v9.client_id) AND v10.t >= v9.t)
        ON (v9.current, v9.site_id, v9.client_id)
            = (v8.current, v8.site_id, v8.client_id) AND v9.t >= v8.t)
        ON (v8.current, v8.site_id, v8.client_id)
            = (v7.current, v7.site_id, v7.client_id) AND v8.t >= v7.t)
        ON (v7.current, v7.site_id, v7.client_id)
            = (v6.current, v6.site_id, v6.client_id) AND v7.t >= v6.t)
        ON (v6.current, v6.site_id, v6.client_id)
            = (v5.current, v5.site_id, v5.client_id) AND v6.t >= v5.t)
        ON (v5.current, v5.site_id, v5.client_id)
            = (v4.current, v4.site_id, v4.client_id) AND v5.t >= v4.t)
        ON (v4.current, v4.site_id, v4.client_id)
            = (v3.current, v3.site_id, v3.client_id) AND v4.t >= v3.t)
        ON (v3.current, v3.site_id, v3.client_id)
            = (v2.current, v2.site_id, v2.client_id) AND v3.t >= v2.t)
        ON (v2.current, v2.site_id, v2.client_id)
            = (v1.current, v1.site_id, v1.client_id) AND v2.t >= v1.t
)
SELECT CASE WHEN current THEN 'current' ELSE 'previous' END AS period, step,
    count(*)::bigint AS entrants,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_seconds
FROM (
    SELECT current, step, extract(epoch FROM t[step] - t[step - 1]) AS gap
    FROM (
        -- In the select list, the series streams per unit (in FROM it fills a tuplestore each).
        SELECT current, t, generate_series(1, depth) AS step
        FROM (SELECT * FROM sessions UNION ALL SELECT * FROM visitors) AS units
    ) AS expanded
    OFFSET 0  -- the gaps computed here: the sort below carries three columns, not t
) AS reached
GROUP BY current, step
ORDER BY 1, 2;

-- name: rolled_covered
-- Whether `rolled` answers for this funnel as `walk` would: a saved funnel with window
-- session has these steps, and its definition (warehouse/funnel_days.sql: the same md5) has
-- every day of [prev_start, end] computed that session_steps has rows of (found with one
-- probe of session_steps' day index per day).
WITH RECURSIVE stepped AS (
    SELECT min(day) AS day FROM session_steps WHERE day BETWEEN %(prev_start)s AND %(end)s
    UNION ALL
    SELECT (SELECT min(day) FROM session_steps WHERE day > stepped.day AND day <= %(end)s)
    FROM stepped WHERE stepped.day IS NOT NULL
)
SELECT %(window)s = 'session'
    AND EXISTS (
        SELECT 1 FROM funnels
        WHERE window_kind = 'session'
            AND ARRAY(SELECT e ->> 'kind' FROM jsonb_array_elements(steps)
                WITH ORDINALITY AS x(e, i) ORDER BY i) = %(step_kinds)s::text[]
            AND ARRAY(SELECT e ->> 'value' FROM jsonb_array_elements(steps)
                WITH ORDINALITY AS x(e, i) ORDER BY i) = %(step_values)s::text[]
    )
    AND NOT EXISTS (
        SELECT 1 FROM stepped
        WHERE stepped.day IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM funnel_days_covered AS c
            WHERE c.definition = md5('session' || array_to_json(%(step_kinds)s::text[])::text
        || array_to_json(%(step_values)s::text[])::text)
                AND c.day = stepped.day
        )
    ) AS covered;

-- name: rolled
-- `walk`'s rows (window session) from the saved funnels' per-day roll-up `funnel_days`
-- (migration 0100), when `rolled_covered` says the period is covered. Entrants add up over
-- the days. The median gap is percentile_cont(0.5)'s, found without sorting a period's gaps:
-- with n gaps, it takes the values of ranks floor((n - 1) / 2) and ceil((n - 1) / 2) (from
-- 0) and returns lo + 0.5 * (hi - lo), as PostgreSQL's float8 interpolation does, so the
-- result is the walk's to the last bit. Each day's gaps are sorted, so width_bucket(x, gaps)
-- counts those <= x by binary search; a gap is a whole number of microseconds (timestamps
-- are), so a binary search over microseconds (k / 1e6 as float8 rounds exactly as the gap's
-- numeric seconds do) finds the rank's value in about 40 probes of a few comparisons a row.
WITH RECURSIVE picked AS (
    -- `|| '{}'` detoasts each array once here, not in every probe.
    SELECT day >= %(start)s AS current, step, entrants, gaps || '{}'::float8[] AS gaps
    FROM funnel_days
    WHERE definition = md5('session' || array_to_json(%(step_kinds)s::text[])::text
        || array_to_json(%(step_values)s::text[])::text)
        AND day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
),
totals AS (
    SELECT current, step, sum(entrants)::bigint AS entrants,
        sum(cardinality(gaps)) AS n, max(gaps[cardinality(gaps)]) AS top
    FROM picked
    GROUP BY current, step
),
-- Invariant: fewer than `rank` + 1 gaps are <= lo microseconds, at least that many <= hi.
search (current, step, rank, lo, hi) AS (
    SELECT current, step, (n - 1) / 2, -1::bigint, ceil(top * 1e6)::bigint + 1
    FROM totals WHERE n > 0
    UNION ALL
    SELECT s.current, s.step, s.rank,
        CASE WHEN probe.below > s.rank THEN s.lo ELSE (s.lo + s.hi) / 2 END,
        CASE WHEN probe.below > s.rank THEN (s.lo + s.hi) / 2 ELSE s.hi END
    FROM search AS s
    CROSS JOIN LATERAL (
        SELECT sum(width_bucket(((s.lo + s.hi) / 2)::float8 / 1e6::float8, p.gaps)) AS below
        FROM picked AS p WHERE p.current = s.current AND p.step = s.step
    ) AS probe
    WHERE s.hi - s.lo > 1
),
-- The lower rank's value: the least gap above lo microseconds.
lower AS (
    SELECT s.current, s.step, s.rank, t.n, (
        SELECT min(p.gaps[width_bucket(s.lo::float8 / 1e6::float8, p.gaps) + 1])
        FROM picked AS p WHERE p.current = s.current AND p.step = s.step
    ) AS lo
    FROM search AS s JOIN totals AS t USING (current, step)
    WHERE s.hi - s.lo <= 1
),
-- The upper rank's: the same value when n is odd or the value repeats, else the next gap.
medians AS (
    SELECT current, step, lo, CASE
        WHEN mod(n, 2) = 1 OR (
            SELECT sum(width_bucket(l.lo, p.gaps))
            FROM picked AS p WHERE p.current = l.current AND p.step = l.step
        ) > rank + 1 THEN lo
        ELSE (
            SELECT min(p.gaps[width_bucket(l.lo, p.gaps) + 1])
            FROM picked AS p WHERE p.current = l.current AND p.step = l.step
        )
    END AS hi
    FROM lower AS l
)
SELECT CASE WHEN t.current THEN 'current' ELSE 'previous' END AS period, t.step, t.entrants,
    m.lo + 0.5::float8 * (m.hi - m.lo) AS median_seconds
FROM totals AS t
LEFT JOIN medians AS m USING (current, step)
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
