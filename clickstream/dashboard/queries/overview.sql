-- Overview: headline KPIs for the chosen period and the one before it, events and sessions
-- per day, events by type and the split by login state. Every statement takes the same
-- parameters: start, end, prev_start, prev_end (dates, inclusive), login (text or NULL for
-- all) and bots (true includes bot sessions).

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(events)::bigint AS events, sum(sessions)::bigint AS sessions,
    sum(purchasing_sessions)::bigint AS purchasing_sessions,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue
FROM daily_kpis
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY 1;

-- Exact distinct visitors, one DISTINCT per period: hashing (period, client) pairs in one
-- pass costs several times more than two passes over plain ids.
-- name: visitors
SELECT 'current' AS period, count(*) AS visitors
FROM (
    SELECT DISTINCT client_id FROM visitor_daily
    WHERE day BETWEEN %(start)s AND %(end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
) AS seen_now
UNION ALL
SELECT 'previous', count(*)
FROM (
    SELECT DISTINCT client_id FROM visitor_daily
    WHERE day BETWEEN %(prev_start)s AND %(prev_end)s
        AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
        AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
) AS seen_before;

-- name: timeline
SELECT day, sum(events)::bigint AS events, sum(sessions)::bigint AS sessions
FROM daily_kpis
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY day ORDER BY day;

-- name: event_types
SELECT sum(page_views)::bigint AS page_view, sum(product_views)::bigint AS product_view,
    sum(cart_adds)::bigint AS add_to_cart, sum(checkouts)::bigint AS begin_checkout,
    sum(purchases)::bigint AS purchase,
    (sum(events) - sum(page_views) - sum(product_views) - sum(cart_adds) - sum(checkouts)
        - sum(purchases))::bigint AS other
FROM daily_kpis
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]));

-- name: login_split
SELECT login_state, sum(sessions)::bigint AS sessions, sum(events)::bigint AS events,
    sum(revenue) AS revenue
FROM daily_kpis
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY login_state ORDER BY login_state;
