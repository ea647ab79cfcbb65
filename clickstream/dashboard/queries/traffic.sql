-- Where sessions come from, on what and from where: the Acquisition, Technology and Geography
-- pages, from traffic_daily (sessions by their first event's channel, source, medium, campaign,
-- device, browser, OS and country; regions from sessions). Every statement takes the filter
-- parameters of `Filters.params()` (start, end, prev_start, prev_end, login, bots, channel,
-- country, device, sites); `breakdown` also takes `dimension` and `limit` (NULL: every row),
-- `regions` takes `limit`.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(sessions)::bigint AS sessions, sum(purchasing_sessions)::bigint AS purchasing_sessions,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue
FROM traffic_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
    AND (%(channel)s::text IS NULL OR channel = %(channel)s)
    AND (%(country)s::text IS NULL OR country = %(country)s)
    AND (%(device)s::text IS NULL OR device_type = %(device)s)
GROUP BY 1;

-- One row per value of `dimension` (channel, source_medium, campaign, device, browser, os or
-- country), the period's sessions, purchasing sessions and revenue beside the previous
-- period's. Sessions without a campaign are left out of the campaign breakdown.
-- name: breakdown
SELECT label,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
    coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day >= %(start)s), 0)::bigint
        AS purchasing_sessions,
    coalesce(sum(purchasing_sessions) FILTER (WHERE day < %(start)s), 0)::bigint
        AS prev_purchasing_sessions,
    coalesce(sum(revenue) FILTER (WHERE day >= %(start)s), 0) AS revenue,
    coalesce(sum(revenue) FILTER (WHERE day < %(start)s), 0) AS prev_revenue
FROM (
    SELECT day, sessions, purchasing_sessions, revenue,
        CASE %(dimension)s::text
            WHEN 'channel' THEN channel
            WHEN 'source_medium' THEN source || ' / ' || medium
            WHEN 'campaign' THEN nullif(campaign, '(none)')
            WHEN 'device' THEN device_type
            WHEN 'browser' THEN browser
            WHEN 'os' THEN os
            WHEN 'country' THEN country
        END AS label
    FROM traffic_daily
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND (%(channel)s::text IS NULL OR channel = %(channel)s)
        AND (%(country)s::text IS NULL OR country = %(country)s)
        AND (%(device)s::text IS NULL OR device_type = %(device)s)
) AS traffic
WHERE label IS NOT NULL
GROUP BY label ORDER BY sessions DESC, prev_sessions DESC, label LIMIT %(limit)s;

-- The Geography page's regions (ISO 3166-2, e.g. DE-BY): sessions by their first event's
-- region, as `breakdown` gives its rows. Only the ingest's MaxMind database gives regions, so
-- they are read from `sessions` (a partial index keeps them, 0099) rather than added to
-- traffic_daily's key; no rows when none is known. Takes `limit`.
-- name: regions
SELECT region AS label,
    count(*) FILTER (WHERE day >= %(start)s) AS sessions,
    count(*) FILTER (WHERE day < %(start)s) AS prev_sessions,
    count(*) FILTER (WHERE day >= %(start)s AND has_purchase) AS purchasing_sessions,
    count(*) FILTER (WHERE day < %(start)s AND has_purchase) AS prev_purchasing_sessions,
    coalesce(sum(revenue) FILTER (WHERE day >= %(start)s), 0) AS revenue,
    coalesce(sum(revenue) FILTER (WHERE day < %(start)s), 0) AS prev_revenue
FROM sessions
WHERE region IS NOT NULL AND day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
    AND {{dimensions}}
GROUP BY region
ORDER BY sessions DESC, prev_sessions DESC, label LIMIT %(limit)s;

-- The values the channel, country and device filters offer: those seen in the year to `end`
-- on the sites the account may see. One pass with three grouping sets: reading the year's rows
-- once into a CTE and grouping it three times took twice as long (the 10M-event warehouse's 90
-- days are about 150,000 rows).
-- name: filter_choices
SELECT CASE WHEN grouping(channel) = 0 THEN 'channel'
        WHEN grouping(country) = 0 THEN 'country' ELSE 'device' END AS dimension,
    CASE WHEN grouping(channel) = 0 THEN channel
        WHEN grouping(country) = 0 THEN country ELSE device_type END AS value
FROM traffic_daily
WHERE day > %(end)s::date - 366
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY GROUPING SETS ((channel), (country), (device_type))
ORDER BY 1, 2;
