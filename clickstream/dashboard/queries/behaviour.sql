-- User behaviour: who visits (login state, new or returning, identity source), when (hour of
-- week, UTC), where (top pages and referrers) and on what (devices and browsers). A channel,
-- country or device narrows what comes from sessions (audience, hours, referrers, devices: as
-- overview.sql); identity sources (events) and top pages (page_daily) stay whole.

-- name: audience
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period, login_state,
    sum(sessions)::bigint AS sessions, sum(new_sessions)::bigint AS new_sessions,
    sum(events)::bigint AS events
FROM (
    SELECT day, login_state, sessions, new_sessions, events FROM daily_kpis
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, login_state, 1, (visitor_type = 'new')::int, events FROM sessions
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY 1, 2 ORDER BY 1, 2;

-- Identity source lives on events only: logged-in events by source, read through the
-- covering partial index of migration 0060. Bots are filtered per event here.
-- name: identity_sources
SELECT identity_source, count(*) AS events
FROM clickstream_events
WHERE identity_source IS NOT NULL
    AND event_timestamp >= %(start)s::date AND event_timestamp < %(end)s::date + 1
    AND coalesce(%(login)s::text, 'logged_in') = 'logged_in' AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY identity_source ORDER BY events DESC, identity_source;

-- Sessions per UTC hour; the page folds the hours into weekday x hour of day.
-- name: hour_of_week
SELECT date_trunc('hour', started_at) AS hour, count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY 1;

-- name: top_pages
SELECT page, sum(page_views)::bigint AS page_views, sum(sessions)::bigint AS sessions
FROM page_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY page HAVING sum(page_views) > 0
ORDER BY page_views DESC, page LIMIT %(limit)s;

-- name: referrers
SELECT coalesce(nullif(split_part(split_part(referrer, '://', 2), '/', 1), ''), '(direct)')
        AS referrer,
    count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY 1 ORDER BY sessions DESC, 1 LIMIT %(limit)s;

-- name: devices
SELECT coalesce(device_type, '(unknown)') AS device_type,
    coalesce(browser, '(unknown)') AS browser, count(*) AS sessions
FROM sessions
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY 1, 2 ORDER BY sessions DESC, 1, 2;
