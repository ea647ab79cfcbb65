-- Technology: the devices, browsers and systems sessions use, from traffic_daily (sessions by their first
-- event's channel, source, medium, campaign, device, browser, OS and country). Every statement
-- takes the filter parameters of `Filters.params()` (start, end, prev_start, prev_end, login,
-- bots, channel, country, device) and `limit`; the breakdowns give each row's current and
-- previous period side by side.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(sessions)::bigint AS sessions, sum(purchasing_sessions)::bigint AS purchasing_sessions,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue
FROM traffic_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(channel)s::text IS NULL OR channel = %(channel)s)
    AND (%(country)s::text IS NULL OR country = %(country)s)
    AND (%(device)s::text IS NULL OR device_type = %(device)s)
GROUP BY 1;

-- name: by_device
SELECT device_type AS label,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
    coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day >= %(start)s), 0)::bigint
        AS purchasing_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day < %(start)s), 0)::bigint
        AS prev_purchasing_sessions,
    coalesce(sum(revenue) FILTER (WHERE day >= %(start)s), 0) AS revenue,
    coalesce(sum(revenue) FILTER (WHERE day < %(start)s), 0) AS prev_revenue
FROM traffic_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(channel)s::text IS NULL OR channel = %(channel)s)
    AND (%(country)s::text IS NULL OR country = %(country)s)
    AND (%(device)s::text IS NULL OR device_type = %(device)s)
GROUP BY 1 ORDER BY sessions DESC, prev_sessions DESC, label;

-- name: by_browser
SELECT browser AS label,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
    coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day >= %(start)s), 0)::bigint
        AS purchasing_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day < %(start)s), 0)::bigint
        AS prev_purchasing_sessions,
    coalesce(sum(revenue) FILTER (WHERE day >= %(start)s), 0) AS revenue,
    coalesce(sum(revenue) FILTER (WHERE day < %(start)s), 0) AS prev_revenue
FROM traffic_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(channel)s::text IS NULL OR channel = %(channel)s)
    AND (%(country)s::text IS NULL OR country = %(country)s)
    AND (%(device)s::text IS NULL OR device_type = %(device)s)
GROUP BY 1 ORDER BY sessions DESC, prev_sessions DESC, label LIMIT %(limit)s;

-- name: by_os
SELECT os AS label,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
    coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day >= %(start)s), 0)::bigint
        AS purchasing_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day < %(start)s), 0)::bigint
        AS prev_purchasing_sessions,
    coalesce(sum(revenue) FILTER (WHERE day >= %(start)s), 0) AS revenue,
    coalesce(sum(revenue) FILTER (WHERE day < %(start)s), 0) AS prev_revenue
FROM traffic_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(channel)s::text IS NULL OR channel = %(channel)s)
    AND (%(country)s::text IS NULL OR country = %(country)s)
    AND (%(device)s::text IS NULL OR device_type = %(device)s)
GROUP BY 1 ORDER BY sessions DESC, prev_sessions DESC, label LIMIT %(limit)s;
