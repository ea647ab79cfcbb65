-- Sessions: volume per day, bounce rate, duration and depth distributions, landing and exit
-- pages. Sessions are cut at midnight UTC by the ETL. A channel, country or device narrows
-- the KPIs, days, durations and depths (from the matching sessions, as overview.sql); the
-- landing and exit pages come from page_daily, which has no such dimension.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(sessions)::bigint AS sessions, sum(bounces)::bigint AS bounces,
    sum(events)::bigint AS events, sum(duration_seconds) AS duration_seconds
FROM (
    SELECT day, sessions, bounces, events, duration_seconds FROM daily_kpis
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, 1, is_bounce::int, events, duration_seconds FROM sessions
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY 1;

-- name: per_day
SELECT day, sum(sessions)::bigint AS sessions, sum(bounces)::bigint AS bounces
FROM (
    SELECT day, sessions, bounces FROM daily_kpis
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, 1, is_bounce::int FROM sessions
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY day ORDER BY day;

-- Buckets: 0 = under 10 s, then 10-30 s, 30-60 s, 1-3 min, 3-10 min, 10-30 min, 30+ min.
-- name: durations
SELECT width_bucket(duration_seconds, ARRAY[10, 30, 60, 180, 600, 1800]::float8[]) AS bucket,
    count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY 1 ORDER BY 1;

-- name: depths
SELECT least(events, 21) AS events, count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY 1 ORDER BY 1;

-- name: landing_pages
SELECT page, sum(entrances)::bigint AS entrances, sum(bounces)::bigint AS bounces
FROM page_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY page HAVING sum(entrances) > 0
ORDER BY entrances DESC, page LIMIT %(limit)s;

-- name: exit_pages
SELECT page, sum(exits)::bigint AS exits, sum(page_views)::bigint AS page_views
FROM page_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY page HAVING sum(exits) > 0
ORDER BY exits DESC, page LIMIT %(limit)s;
