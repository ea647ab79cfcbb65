-- Rebuild every derived table for one UTC day, [%(start)s, %(end)s), from that day's events.
-- Sessions are cut at midnight, so a day depends on its own events only. Ties in time are
-- broken by event_id, so a rebuild gives the same rows whatever order events were loaded in.

-- name: clear
DELETE FROM sessions WHERE day = %(day)s;
DELETE FROM visitor_daily WHERE day = %(day)s;
DELETE FROM daily_kpis WHERE day = %(day)s;
DELETE FROM funnel_daily WHERE day = %(day)s;
DELETE FROM product_daily WHERE day = %(day)s;
DELETE FROM page_daily WHERE day = %(day)s;

-- name: day_events
CREATE TEMP TABLE day_events ON COMMIT DROP AS
SELECT coalesce(session_id, 'client:' || client_id, 'event:' || event_id::text) AS skey,
    event_id, event_timestamp, event_name, user_id, user_login_state, client_id,
    is_first_visit, is_bot, device_type, browser, os, referrer, order_total,
    nullif(split_part(split_part(page_url, '?', 1), '#', 1), '') AS page,
    context_product_id, context_product_name, context_product_category,
    context_product_brand, context_product_price, context_product_discount_price,
    context_product_quantity
FROM clickstream_events
WHERE event_timestamp >= %(start)s AND event_timestamp < %(end)s;

-- name: sessions
INSERT INTO sessions (day, session_id, client_id, user_id, started_at, ended_at,
    duration_seconds, events, page_views, pages, landing_page, exit_page, product_views,
    cart_adds, checkouts, purchases, has_purchase, revenue, login_state, is_bounce,
    visitor_type, is_bot, device_type, browser, os, referrer)
SELECT %(day)s::date, skey,
    (array_agg(client_id ORDER BY event_timestamp, event_id)
        FILTER (WHERE client_id IS NOT NULL))[1],
    (array_agg(user_id ORDER BY event_timestamp, event_id)
        FILTER (WHERE user_id IS NOT NULL))[1],
    min(event_timestamp), max(event_timestamp),
    extract(epoch FROM max(event_timestamp) - min(event_timestamp))::double precision,
    count(*),
    count(*) FILTER (WHERE event_name = 'page_view'),
    count(DISTINCT page),
    (array_agg(page ORDER BY event_timestamp, event_id) FILTER (WHERE page IS NOT NULL))[1],
    (array_agg(page ORDER BY event_timestamp DESC, event_id DESC)
        FILTER (WHERE page IS NOT NULL))[1],
    count(*) FILTER (WHERE event_name = 'product_view'),
    count(*) FILTER (WHERE event_name = 'add_to_cart'),
    count(*) FILTER (WHERE event_name = 'begin_checkout'),
    count(*) FILTER (WHERE event_name = 'purchase'),
    bool_or(event_name = 'purchase'),
    coalesce(sum(order_total) FILTER (WHERE event_name = 'purchase'), 0),
    CASE WHEN bool_or(user_login_state = 'logged_in') THEN 'logged_in' ELSE 'guest' END,
    count(DISTINCT page) <= 1
        AND NOT bool_or(event_name IN ('add_to_cart', 'begin_checkout', 'purchase')),
    CASE WHEN bool_or(coalesce(is_first_visit, false)) THEN 'new' ELSE 'returning' END,
    bool_or(is_bot),
    (array_agg(device_type ORDER BY event_timestamp, event_id))[1],
    (array_agg(browser ORDER BY event_timestamp, event_id))[1],
    (array_agg(os ORDER BY event_timestamp, event_id))[1],
    (array_agg(referrer ORDER BY event_timestamp, event_id))[1]
FROM day_events
GROUP BY skey;

-- name: visitor_daily
INSERT INTO visitor_daily (day, client_id, login_state, is_bot, sessions, events)
SELECT day, coalesce(client_id, session_id), login_state, is_bot, count(*), sum(events)
FROM sessions WHERE day = %(day)s
GROUP BY day, coalesce(client_id, session_id), login_state, is_bot;

-- name: daily_kpis
INSERT INTO daily_kpis (day, login_state, is_bot, sessions, visitors, new_sessions, bounces,
    events, page_views, product_views, cart_adds, checkouts, purchases, purchasing_sessions,
    revenue, duration_seconds)
SELECT day, login_state, is_bot, count(*), count(DISTINCT coalesce(client_id, session_id)),
    count(*) FILTER (WHERE visitor_type = 'new'), count(*) FILTER (WHERE is_bounce),
    sum(events), sum(page_views), sum(product_views), sum(cart_adds), sum(checkouts),
    sum(purchases), count(*) FILTER (WHERE has_purchase), sum(revenue), sum(duration_seconds)
FROM sessions WHERE day = %(day)s
GROUP BY day, login_state, is_bot;

-- name: funnel_daily
INSERT INTO funnel_daily (day, login_state, is_bot, sessions, reached_page_view,
    reached_product_view, reached_add_to_cart, reached_begin_checkout, reached_purchase)
SELECT day, login_state, is_bot, count(*),
    count(*) FILTER (WHERE page_views > 0),
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0),
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0),
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0
        AND checkouts > 0),
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0
        AND checkouts > 0 AND purchases > 0)
FROM sessions WHERE day = %(day)s
GROUP BY day, login_state, is_bot;

-- name: product_daily
INSERT INTO product_daily (day, product_id, login_state, is_bot, name, category, brand, views,
    cart_adds, purchases, units, revenue)
SELECT s.day, e.context_product_id, s.login_state, s.is_bot,
    max(e.context_product_name), max(e.context_product_category),
    max(e.context_product_brand),
    count(*) FILTER (WHERE e.event_name = 'product_view'),
    count(*) FILTER (WHERE e.event_name = 'add_to_cart'),
    count(*) FILTER (WHERE e.event_name = 'purchase'),
    coalesce(sum(coalesce(e.context_product_quantity, 1))
        FILTER (WHERE e.event_name = 'purchase'), 0),
    coalesce(sum(coalesce(e.context_product_discount_price, e.context_product_price, 0)
        * coalesce(e.context_product_quantity, 1)) FILTER (WHERE e.event_name = 'purchase'), 0)
FROM day_events e JOIN sessions s ON s.day = %(day)s AND s.session_id = e.skey
WHERE e.context_product_id IS NOT NULL
GROUP BY s.day, e.context_product_id, s.login_state, s.is_bot;

-- name: page_daily
INSERT INTO page_daily (day, page, login_state, is_bot, page_views, sessions, entrances,
    exits, bounces)
SELECT day, page, login_state, is_bot, sum(views), sum(sessions), sum(entrances), sum(exits),
    sum(bounces)
FROM (
    SELECT s.day, e.page, s.login_state, s.is_bot, count(*) AS views,
        count(DISTINCT e.skey) AS sessions, 0 AS entrances, 0 AS exits, 0 AS bounces
    FROM day_events e JOIN sessions s ON s.day = %(day)s AND s.session_id = e.skey
    WHERE e.event_name = 'page_view' AND e.page IS NOT NULL
    GROUP BY s.day, e.page, s.login_state, s.is_bot
    UNION ALL
    SELECT day, landing_page, login_state, is_bot, 0, 0, count(*), 0,
        count(*) FILTER (WHERE is_bounce)
    FROM sessions WHERE day = %(day)s AND landing_page IS NOT NULL
    GROUP BY day, landing_page, login_state, is_bot
    UNION ALL
    SELECT day, exit_page, login_state, is_bot, 0, 0, 0, count(*), 0
    FROM sessions WHERE day = %(day)s AND exit_page IS NOT NULL
    GROUP BY day, exit_page, login_state, is_bot
) AS parts
GROUP BY day, page, login_state, is_bot;

-- name: drop_day_events
DROP TABLE day_events;
