-- Overview: headline KPIs for the chosen period and the one before it, events and sessions
-- per day, events by type and the split by login state. Every statement takes the same
-- parameters: start, end, prev_start, prev_end (dates, inclusive), login (text or NULL for
-- all), bots (true includes bot sessions), sites (NULL: every site) and channel, country and
-- device (NULL: all).
-- Without a channel, country or device the figures come from the daily roll-ups; with one,
-- from the sessions that match it (their first event's, as traffic_daily counts them). Each
-- statement has both branches; the one whose parameters do not apply reads nothing.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(events)::bigint AS events, sum(sessions)::bigint AS sessions,
    sum(purchasing_sessions)::bigint AS purchasing_sessions,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue
FROM (
    SELECT day, events, sessions, purchasing_sessions, purchases, revenue
    FROM daily_kpis
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, events, 1, has_purchase::int, purchases, revenue
    FROM sessions
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY 1;

-- Distinct visitors, one DISTINCT per period: hashing (period, client) pairs in one pass costs
-- several times more than two passes over plain ids. Each DISTINCT sorts the ids' 64-bit
-- hashes (hashtextextended) rather than the ids: 30 days of visitor_daily are about 390,000
-- rows on the 10M-event warehouse; sorting as many 8-byte integers took a third of the time
-- hashing or sorting them as UUID text did (about 0.6 with the generator's short ids), and it
-- fits in work_mem where sorting the UUID text spilled to disk. Exact but for two ids
-- sharing a hash: at ten million visitors, odds of about 1 in 370,000 of counting one too few.
-- Only one branch of each period reads rows, so UNION ALL loses nothing. visitor_daily's
-- client is the session's client id, or its session id when it has none.
-- name: visitors
SELECT 'current' AS period, count(DISTINCT hashtextextended(client_id, 0)) AS visitors
FROM (
    SELECT client_id FROM visitor_daily
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT coalesce(client_id, session_id) FROM sessions
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS seen_now
UNION ALL
SELECT 'previous', count(DISTINCT hashtextextended(client_id, 0))
FROM (
    SELECT client_id FROM visitor_daily
    WHERE day BETWEEN %(prev_start)s AND %(prev_end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT coalesce(client_id, session_id) FROM sessions
    WHERE day BETWEEN %(prev_start)s AND %(prev_end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS seen_before;

-- name: timeline
SELECT day, sum(events)::bigint AS events, sum(sessions)::bigint AS sessions
FROM (
    SELECT day, events, sessions FROM daily_kpis
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, events, 1 FROM sessions
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY day ORDER BY day;

-- name: event_types
SELECT sum(page_views)::bigint AS page_view, sum(product_views)::bigint AS product_view,
    sum(cart_adds)::bigint AS add_to_cart, sum(checkouts)::bigint AS begin_checkout,
    sum(purchases)::bigint AS purchase,
    (sum(events) - sum(page_views) - sum(product_views) - sum(cart_adds) - sum(checkouts)
        - sum(purchases))::bigint AS other
FROM (
    SELECT events, page_views, product_views, cart_adds, checkouts, purchases FROM daily_kpis
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT events, page_views, product_views, cart_adds, checkouts, purchases FROM sessions
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k;

-- name: login_split
SELECT login_state, sum(sessions)::bigint AS sessions, sum(events)::bigint AS events,
    sum(revenue) AS revenue
FROM (
    SELECT login_state, sessions, events, revenue FROM daily_kpis
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT login_state, 1, events, revenue FROM sessions
    WHERE day BETWEEN %(start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS k
GROUP BY login_state ORDER BY login_state;
