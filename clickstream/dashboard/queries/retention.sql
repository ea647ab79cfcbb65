-- Retention: visitors by the day (or ISO week, Monday first) they were first seen on a site,
-- and how many of each cohort came back (or purchased) in each later day (week). Read from
-- `retention_daily` (0095), a few rows per day and cohort: the date range picks the cohorts
-- by their first day, the login state and bots filter by the cohort's first day, and later
-- activity counts up to the newest derived day. `grain` is 'day' or 'week'; a week's
-- visitors are counted once each (`week_visitors`).

-- name: cohorts
SELECT cohort, period, sum(active)::bigint AS active, sum(purchasing)::bigint AS purchasing
FROM (
    SELECT CASE WHEN %(grain)s = 'week' THEN first_day - (extract(isodow FROM first_day)::int - 1)
            ELSE first_day END AS cohort,
        CASE WHEN %(grain)s = 'week'
            THEN ((day - (extract(isodow FROM day)::int - 1))
                - (first_day - (extract(isodow FROM first_day)::int - 1))) / 7
            ELSE day - first_day END AS period,
        CASE WHEN %(grain)s = 'week' THEN week_visitors ELSE visitors END AS active,
        CASE WHEN %(grain)s = 'week' THEN week_purchasers ELSE purchasers END AS purchasing
    FROM retention_daily
    WHERE first_day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
) AS r
WHERE period <= %(periods)s
GROUP BY cohort, period
ORDER BY cohort, period;

-- The newest day activity was counted for: a cohort's periods up to it have been observed.
-- name: last_day
SELECT max(day) AS last_day FROM retention_daily
WHERE (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]));
