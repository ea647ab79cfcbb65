-- Sessions: volume per day, bounce rate, duration and depth distributions, landing and exit
-- pages. Sessions are cut at midnight UTC by the ETL.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(sessions)::bigint AS sessions, sum(bounces)::bigint AS bounces,
    sum(events)::bigint AS events, sum(duration_seconds) AS duration_seconds
FROM daily_kpis
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY 1;

-- name: per_day
SELECT day, sum(sessions)::bigint AS sessions, sum(bounces)::bigint AS bounces
FROM daily_kpis
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY day ORDER BY day;

-- Buckets: 0 = under 10 s, then 10-30 s, 30-60 s, 1-3 min, 3-10 min, 10-30 min, 30+ min.
-- name: durations
SELECT width_bucket(duration_seconds, ARRAY[10, 30, 60, 180, 600, 1800]::float8[]) AS bucket,
    count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY 1 ORDER BY 1;

-- name: depths
SELECT least(events, 21) AS events, count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY 1 ORDER BY 1;

-- name: landing_pages
SELECT page, sum(entrances)::bigint AS entrances, sum(bounces)::bigint AS bounces
FROM page_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY page HAVING sum(entrances) > 0
ORDER BY entrances DESC, page LIMIT %(limit)s;

-- name: exit_pages
SELECT page, sum(exits)::bigint AS exits, sum(page_views)::bigint AS page_views
FROM page_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY page HAVING sum(exits) > 0
ORDER BY exits DESC, page LIMIT %(limit)s;
