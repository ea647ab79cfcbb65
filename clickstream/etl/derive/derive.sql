-- Sessions and roll-ups of one UTC day, computed in DuckDB from the relation `derive_input`
-- (the day's events: those stored before this run, read out of PostgreSQL, and this run's own).
-- Sessions are cut at midnight, so a day depends on its own events only. Ties in time are
-- broken by event_id (DuckDB orders UUIDs as PostgreSQL does), so a rebuild gives the same
-- rows whatever order events were loaded in. Each `out_*` table has its PostgreSQL table's
-- columns in order.
-- Every row belongs to one site (`site_id`, 0094): a session is its site's events with one
-- session id, so the same session id sent by two sites makes two sessions, and every roll-up
-- groups by site. Sessions are joined to their events on (day, site_id, skey).

-- name: day_events
CREATE OR REPLACE TEMP TABLE day_events AS
SELECT CAST(event_timestamp AS DATE) AS day,
    coalesce(session_id, 'client:' || client_id, 'event:' || CAST(event_id AS VARCHAR)) AS skey,
    {'t': event_timestamp, 'i': event_id} AS k,
    event_timestamp, event_name, user_id, user_login_state, client_id, is_first_visit, is_bot,
    device_type, browser, os, referrer, order_total,
    nullif(split_part(split_part(page_url, '?', 1), '#', 1), '') AS page,
    context_product_id, context_product_name, context_product_category,
    context_product_brand, context_product_price, context_product_discount_price,
    context_product_quantity,
    country, region, referrer_host, utm_campaign, utm_term, utm_content, click_id_name,
    traffic_source, traffic_medium, channel, event_id, CAST(items AS VARCHAR) AS items,
    CAST(properties AS VARCHAR) AS properties, site_id
FROM derive_input;

-- name: day_lines
-- Every product line of the day's events: an event's `items`, or its `product` as one line
-- when it has no items. A line's revenue is quantity * (discount_price if given else price).
CREATE OR REPLACE TEMP TABLE day_lines AS
SELECT day, site_id, skey, event_id, event_name, l.id AS product_id, l.name, l.category, l.brand,
    coalesce(l.quantity, 1) AS quantity,
    coalesce(l.discount_price, l.price, 0) * coalesce(l.quantity, 1) AS revenue
FROM (
    SELECT day, site_id, skey, event_id, event_name, unnest(from_json(items, '[{"id": "VARCHAR",
        "name": "VARCHAR", "category": "VARCHAR", "brand": "VARCHAR",
        "price": "DECIMAL(14, 2)", "discount_price": "DECIMAL(14, 2)",
        "quantity": "INTEGER"}]')) AS l
    FROM day_events WHERE items IS NOT NULL
    UNION ALL
    SELECT day, site_id, skey, event_id, event_name, {'id': context_product_id,
        'name': context_product_name, 'category': context_product_category,
        'brand': context_product_brand, 'price': context_product_price,
        'discount_price': context_product_discount_price,
        'quantity': context_product_quantity} AS l
    FROM day_events
    WHERE context_product_id IS NOT NULL AND (items IS NULL OR items = '[]')
);

-- name: purchase_revenue
-- Each purchase's revenue: its order total, or the sum of its lines when it sent no total.
-- Overview's revenue and the products' (lines plus the rest, see product_daily) both add
-- these up, so they agree.
CREATE OR REPLACE TEMP TABLE purchase_revenue AS
SELECT e.day, e.site_id, e.skey, e.event_id, coalesce(e.order_total, l.revenue, 0) AS revenue,
    coalesce(e.order_total, l.revenue, 0) - coalesce(l.revenue, 0) AS unitemised
FROM day_events AS e
LEFT JOIN (
    SELECT event_id, sum(revenue) AS revenue FROM day_lines
    WHERE event_name = 'purchase' GROUP BY event_id
) AS l USING (event_id)
WHERE e.event_name = 'purchase';

-- name: sessions
CREATE OR REPLACE TEMP TABLE out_sessions AS
SELECT day, session_id, client_id, user_id, started_at, ended_at,
    CAST(duration_us AS DOUBLE) / 1000000 AS duration_seconds, duration_us, events,
    page_views, pages, landing_page, exit_page, product_views, cart_adds, checkouts, purchases,
    has_purchase, revenue, login_state,
    pages <= 1 AND NOT has_cart_step AS is_bounce,
    visitor_type, is_bot, first_event.d AS device_type, first_event.b AS browser,
    first_event.o AS os, first_event.r AS referrer,
    -- Attribution: the session's first event's place and source.
    first_event.country AS country, first_event.region AS region,
    first_event.rh AS referrer_host,
    -- Stored NULL on plain visits (outputs.sql); NULL channel: loaded before 0081.
    CASE WHEN first_event.ch IS NOT NULL THEN coalesce(first_event.s, '(direct)') END AS source,
    CASE WHEN first_event.ch IS NOT NULL THEN coalesce(first_event.m, '(none)') END AS medium,
    first_event.c AS campaign, first_event.t AS term, first_event.ct AS content,
    first_event.k AS click_id_name, first_event.ch AS channel, site_id
FROM (
    SELECT day, site_id, skey AS session_id,
        arg_min(client_id, k) FILTER (WHERE client_id IS NOT NULL) AS client_id,
        arg_min(user_id, k) FILTER (WHERE user_id IS NOT NULL) AS user_id,
        min(event_timestamp) AS started_at,
        max(event_timestamp) AS ended_at,
        epoch_us(max(event_timestamp)) - epoch_us(min(event_timestamp)) AS duration_us,
        count(*) AS events,
        count(*) FILTER (WHERE event_name = 'page_view') AS page_views,
        count(DISTINCT page) AS pages,
        arg_min(page, k) FILTER (WHERE page IS NOT NULL) AS landing_page,
        arg_max(page, k) FILTER (WHERE page IS NOT NULL) AS exit_page,
        count(*) FILTER (WHERE event_name = 'product_view') AS product_views,
        count(*) FILTER (WHERE event_name = 'add_to_cart') AS cart_adds,
        count(*) FILTER (WHERE event_name = 'begin_checkout') AS checkouts,
        count(*) FILTER (WHERE event_name = 'purchase') AS purchases,
        bool_or(event_name = 'purchase') AS has_purchase,
        coalesce(sum(r.revenue), 0) AS revenue,
        CASE WHEN bool_or(user_login_state = 'logged_in') THEN 'logged_in' ELSE 'guest' END
            AS login_state,
        bool_or(event_name IN ('add_to_cart', 'begin_checkout', 'purchase')) AS has_cart_step,
        CASE WHEN bool_or(coalesce(is_first_visit, false)) THEN 'new' ELSE 'returning' END
            AS visitor_type,
        bool_or(is_bot) AS is_bot,
        -- The first event's device, browser, OS, referrer, place and source (a struct is
        -- never NULL, so the first event counts even when these are).
        arg_min({'d': device_type, 'b': browser, 'o': os, 'r': referrer,
            'country': country, 'region': region, 'rh': referrer_host,
            's': traffic_source, 'm': traffic_medium, 'c': utm_campaign, 't': utm_term,
            'ct': utm_content, 'k': click_id_name, 'ch': channel}, k) AS first_event
    FROM day_events
    -- An event id is stored once (the `event_ids` registry claims each id for one stored
    -- event, and a run's own rows are read apart from the stored ones), so it alone finds the
    -- purchase's revenue: joining on the session's text key too only cost time. An id twice
    -- in `day_events` would count that session's events and revenue twice.
    LEFT JOIN (SELECT event_id, revenue FROM purchase_revenue) AS r USING (event_id)
    GROUP BY day, site_id, skey
);

-- name: visitor_daily
CREATE OR REPLACE TEMP TABLE out_visitor_daily AS
SELECT day, coalesce(client_id, session_id) AS client_id, login_state, is_bot,
    count(*) AS sessions, sum(events) AS events, site_id
FROM out_sessions
GROUP BY day, site_id, coalesce(client_id, session_id), login_state, is_bot;

-- name: daily_kpis
CREATE OR REPLACE TEMP TABLE out_daily_kpis AS
SELECT day, login_state, is_bot, count(*) AS sessions,
    count(DISTINCT coalesce(client_id, session_id)) AS visitors,
    count(*) FILTER (WHERE visitor_type = 'new') AS new_sessions,
    count(*) FILTER (WHERE is_bounce) AS bounces,
    sum(events) AS events, sum(page_views) AS page_views, sum(product_views) AS product_views,
    sum(cart_adds) AS cart_adds, sum(checkouts) AS checkouts, sum(purchases) AS purchases,
    count(*) FILTER (WHERE has_purchase) AS purchasing_sessions, sum(revenue) AS revenue,
    -- Summed exactly in microseconds: a sum of doubles would depend on the order of rows.
    CAST(sum(duration_us) AS DOUBLE) / 1000000 AS duration_seconds, site_id
FROM out_sessions
GROUP BY day, site_id, login_state, is_bot;

-- name: funnel_daily
CREATE OR REPLACE TEMP TABLE out_funnel_daily AS
SELECT day, login_state, is_bot, count(*) AS sessions,
    count(*) FILTER (WHERE page_views > 0) AS reached_page_view,
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0) AS reached_product_view,
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0)
        AS reached_add_to_cart,
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0
        AND checkouts > 0) AS reached_begin_checkout,
    count(*) FILTER (WHERE page_views > 0 AND product_views > 0 AND cart_adds > 0
        AND checkouts > 0 AND purchases > 0) AS reached_purchase, site_id
FROM out_sessions
GROUP BY day, site_id, login_state, is_bot;

-- name: product_daily
-- Per product, from its lines: views (lines of product_view), cart adds (lines and units),
-- purchases (lines, i.e. orders, and units) and revenue. What purchases earned beyond their
-- lines (an order total above or below the sum of its lines: shipping, an order discount, or
-- no lines at all) is the row of product '' named '(not itemised)', so that revenue summed
-- over products is Overview's revenue.
CREATE OR REPLACE TEMP TABLE out_product_daily AS
SELECT s.day, p.product_id, s.login_state, s.is_bot,
    max(p.name) AS name, max(p.category) AS category, max(p.brand) AS brand,
    count(*) FILTER (WHERE p.event_name = 'product_view') AS views,
    count(*) FILTER (WHERE p.event_name = 'add_to_cart') AS cart_adds,
    count(*) FILTER (WHERE p.event_name = 'purchase') AS purchases,
    coalesce(sum(p.quantity) FILTER (WHERE p.event_name = 'purchase'), 0) AS units,
    coalesce(sum(p.revenue) FILTER (WHERE p.event_name = 'purchase'), 0) AS revenue,
    coalesce(sum(p.quantity) FILTER (WHERE p.event_name = 'add_to_cart'), 0) AS cart_units,
    s.site_id
FROM (
    SELECT day, site_id, skey, event_name, product_id, name, category, brand, quantity,
        revenue
    FROM day_lines
    UNION ALL
    SELECT day, site_id, skey, 'purchase', '', '(not itemised)', NULL, NULL, 0, unitemised
    FROM purchase_revenue WHERE unitemised <> 0
) AS p
JOIN out_sessions AS s ON s.day = p.day AND s.site_id = p.site_id AND s.session_id = p.skey
GROUP BY s.day, s.site_id, p.product_id, s.login_state, s.is_bot;

-- name: page_daily
CREATE OR REPLACE TEMP TABLE out_page_daily AS
SELECT day, page, login_state, is_bot, sum(views) AS page_views, sum(sessions) AS sessions,
    sum(entrances) AS entrances, sum(exits) AS exits, sum(bounces) AS bounces, site_id
FROM (
    SELECT s.day, s.site_id, e.page, s.login_state, s.is_bot, count(*) AS views,
        count(DISTINCT e.skey) AS sessions, 0 AS entrances, 0 AS exits, 0 AS bounces
    FROM day_events AS e
    JOIN out_sessions AS s
        ON s.day = e.day AND s.site_id = e.site_id AND s.session_id = e.skey
    WHERE e.event_name = 'page_view' AND e.page IS NOT NULL
    GROUP BY s.day, s.site_id, e.page, s.login_state, s.is_bot
    UNION ALL
    SELECT day, site_id, landing_page, login_state, is_bot, 0, 0, count(*), 0,
        count(*) FILTER (WHERE is_bounce)
    FROM out_sessions WHERE landing_page IS NOT NULL
    GROUP BY day, site_id, landing_page, login_state, is_bot
    UNION ALL
    SELECT day, site_id, exit_page, login_state, is_bot, 0, 0, 0, count(*), 0
    FROM out_sessions WHERE exit_page IS NOT NULL
    GROUP BY day, site_id, exit_page, login_state, is_bot
) AS parts
GROUP BY day, site_id, page, login_state, is_bot;

-- name: traffic_daily
-- Sessions by acquisition, technology and geography dimension. Sessions loaded before these
-- columns existed (until `etl rebuild`) count as Unassigned and unknown.
CREATE OR REPLACE TEMP TABLE out_traffic_daily AS
SELECT day, login_state, is_bot, coalesce(channel, 'Unassigned') AS channel,
    coalesce(source, '(direct)') AS source, coalesce(medium, '(none)') AS medium,
    coalesce(campaign, '(none)') AS campaign, coalesce(device_type, 'unknown') AS device_type,
    coalesce(browser, 'unknown') AS browser, coalesce(os, 'unknown') AS os,
    coalesce(country, 'unknown') AS country,
    count(*) AS sessions, count(*) FILTER (WHERE visitor_type = 'new') AS new_sessions,
    count(*) FILTER (WHERE is_bounce) AS bounces,
    count(*) FILTER (WHERE has_purchase) AS purchasing_sessions, sum(purchases) AS purchases,
    sum(revenue) AS revenue, site_id
FROM out_sessions
GROUP BY ALL;

-- name: goal_daily
-- Conversions per goal (`goal_definitions`, the `goals` table as `compute.py` loads it): an
-- event completes a goal when its name is the goal's, its URL path (scheme and host left
-- off) is the goal's path or starts with it, and its property (a JSON pointer) is the goal's
-- value as text; `warehouse/goals.py` `Goal.matches` says the same in Python. Visitors as
-- visitor_daily counts them. The events are matched first, then joined to their sessions.
CREATE OR REPLACE TEMP TABLE out_goal_daily AS
SELECT s.day, m.goal, s.login_state, s.is_bot,
    count(DISTINCT s.session_id) AS sessions, sum(m.n) AS completions,
    count(DISTINCT coalesce(s.client_id, s.session_id)) AS visitors, s.site_id
FROM (
    SELECT e.day, e.site_id, e.skey, g.name AS goal, count(*) AS n
    FROM day_events AS e
    JOIN goal_definitions AS g ON e.event_name = g.event_name
    WHERE (g.path IS NULL OR CASE g.path_match
            WHEN 'exact' THEN regexp_replace(e.page, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', '')
                = g.path
            ELSE starts_with(
                regexp_replace(e.page, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', ''), g.path)
        END)
        AND (g.property_pointer IS NULL
            OR (json_type(e.properties, g.property_pointer) NOT IN ('OBJECT', 'ARRAY')
                AND json_extract_string(e.properties, g.property_pointer) = g.property_value))
    GROUP BY e.day, e.site_id, e.skey, g.name
) AS m
JOIN out_sessions AS s ON s.day = m.day AND s.site_id = m.site_id AND s.session_id = m.skey
GROUP BY s.day, s.site_id, m.goal, s.login_state, s.is_bot;

-- name: event_daily
-- Counted per session and event name first: the join to sessions then reads a row per
-- session and name, not per event.
CREATE OR REPLACE TEMP TABLE out_event_daily AS
SELECT s.day, n.event_name, s.login_state, s.is_bot, sum(n.events) AS events,
    count(*) AS sessions, count(DISTINCT coalesce(s.client_id, s.session_id)) AS visitors,
    s.site_id
FROM (
    SELECT day, site_id, skey, event_name, count(*) AS events FROM day_events
    GROUP BY day, site_id, skey, event_name
) AS n
JOIN out_sessions AS s ON s.day = n.day AND s.site_id = n.site_id AND s.session_id = n.skey
GROUP BY s.day, s.site_id, n.event_name, s.login_state, s.is_bot;

-- name: event_property_daily
-- Per event name and top-level property key, the day's values: strings (their first 100
-- characters), numbers and booleans as JSON writes them, '(null)', '(object)' or '(array)'.
-- Bounded so the Events page reads little: per site, an event's 30 most used keys, and per
-- key its 50 most frequent values, the rest summed as '(other)'.
CREATE OR REPLACE TEMP TABLE out_event_property_daily AS
WITH pairs AS (
    SELECT s.day, s.site_id, e.event_name, p.key AS property, s.login_state, s.is_bot, e.skey,
        CASE json_type(p.value)
            WHEN 'VARCHAR' THEN left(p.value ->> '$', 100)
            WHEN 'NULL' THEN '(null)'
            WHEN 'OBJECT' THEN '(object)'
            WHEN 'ARRAY' THEN '(array)'
            ELSE CAST(p.value AS VARCHAR)
        END AS value
    FROM (
        SELECT day, site_id, skey, event_name, properties FROM day_events
        WHERE properties IS NOT NULL AND json_type(properties) = 'OBJECT'
    ) AS e
    JOIN out_sessions AS s ON s.day = e.day AND s.site_id = e.site_id AND s.session_id = e.skey,
    json_each(e.properties) AS p
),
keys AS (
    SELECT site_id, event_name, property FROM pairs GROUP BY site_id, event_name, property
    QUALIFY row_number() OVER (PARTITION BY site_id, event_name
        ORDER BY count(*) DESC, property) <= 30
),
top_values AS (
    SELECT site_id, event_name, property, value FROM pairs
    JOIN keys USING (site_id, event_name, property)
    GROUP BY site_id, event_name, property, value
    QUALIFY row_number() OVER (PARTITION BY site_id, event_name, property
        ORDER BY count(*) DESC, value) <= 50
)
SELECT p.day, p.event_name, p.property, p.login_state, p.is_bot,
    coalesce(t.value, '(other)') AS value, count(*) AS events,
    count(DISTINCT p.skey) AS sessions, p.site_id
FROM pairs AS p
JOIN keys AS k USING (site_id, event_name, property)
LEFT JOIN top_values AS t USING (site_id, event_name, property, value)
GROUP BY ALL;

-- name: session_steps
-- What custom funnels walk (docs/dashboard.md): per session and distinct step key, the first
-- time the session did it. Keys: every event's name, a page_view's URL path (scheme and host
-- left off, as goals match it) and each goal the event completes (goal_daily's match). A
-- session's client, login state and bot flag are those `sessions` gives it; a session is its
-- site's events with one session id, numbered 1, 2, ... within the day (by site and key), so
-- the walk joins steps on (day, session_no), two integers.
CREATE OR REPLACE TEMP TABLE out_session_steps AS
WITH visits AS (
    -- The sessions step's sessions (under the Spark engine, Spark's): their first client id,
    -- login state and bot flag are what grouping the day's events again gave.
    SELECT day, site_id, session_id AS skey,
        CAST(row_number() OVER (PARTITION BY day ORDER BY site_id, session_id) AS INTEGER)
            AS session_no,
        coalesce(client_id, session_id) AS client_id, login_state, is_bot
    FROM out_sessions
),
paths AS (
    -- Only the events a page or goal step can come from need their URL path.
    SELECT day, site_id, skey, event_name, event_timestamp, properties,
        nullif(regexp_replace(page, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', ''), '') AS path
    FROM day_events
    WHERE event_name = 'page_view' OR event_name IN (SELECT event_name FROM goal_definitions)
),
keys AS (
    SELECT day, site_id, skey, 'event' AS step_kind, event_name AS step_value, event_timestamp
    FROM day_events
    UNION ALL
    SELECT day, site_id, skey, 'page', path, event_timestamp
    FROM paths WHERE event_name = 'page_view' AND path IS NOT NULL
    UNION ALL
    SELECT e.day, e.site_id, e.skey, 'goal', g.name, e.event_timestamp
    FROM paths AS e
    JOIN goal_definitions AS g ON e.event_name = g.event_name
    WHERE (g.path IS NULL OR CASE g.path_match
            WHEN 'exact' THEN e.path = g.path
            ELSE starts_with(e.path, g.path)
        END)
        AND (g.property_pointer IS NULL
            OR (json_type(e.properties, g.property_pointer) NOT IN ('OBJECT', 'ARRAY')
                AND json_extract_string(e.properties, g.property_pointer) = g.property_value))
),
firsts AS (
    -- Each session's first time at each step, then its visit (one per session) joined.
    SELECT day, site_id, skey, step_kind, step_value, min(event_timestamp) AS first_at
    FROM keys
    GROUP BY day, site_id, skey, step_kind, step_value
)
SELECT f.day, f.site_id, f.step_kind, f.step_value, v.session_no, v.client_id,
    v.login_state, v.is_bot, f.first_at
FROM firsts AS f
JOIN visits AS v USING (day, site_id, skey);
-- name: day_visits
-- Retention and journeys (0095) group by site: each session of each site, as the sessions
-- step counts it (its first client id, else its key, is the visitor), with its entry and exit
-- pages and whether it purchased. Taken from `out_sessions`, which computed each of these
-- (aggregating the day's events again cost as much as the sessions step's grouping).
CREATE OR REPLACE TEMP TABLE day_visits AS
SELECT day, site_id, session_id AS skey, coalesce(client_id, session_id) AS visitor,
    login_state, is_bot, has_purchase, landing_page AS entry_page, exit_page
FROM out_sessions;

-- name: visitor_activity_daily
-- A visitor's day: logged in when any of its sessions was, a bot when any was.
CREATE OR REPLACE TEMP TABLE out_visitor_activity_daily AS
SELECT day, site_id, visitor AS client_id,
    CASE WHEN bool_or(login_state = 'logged_in') THEN 'logged_in' ELSE 'guest' END
        AS login_state,
    bool_or(is_bot) AS is_bot, count(*) AS sessions,
    count(*) FILTER (WHERE has_purchase) AS purchasing_sessions
FROM day_visits
GROUP BY day, site_id, visitor;

-- name: entry_exit_daily
CREATE OR REPLACE TEMP TABLE out_entry_exit_daily AS
SELECT day, site_id, login_state, is_bot, kind, page, count(*) AS sessions,
    count(*) FILTER (WHERE has_purchase) AS purchasing_sessions
FROM (
    SELECT day, site_id, login_state, is_bot, has_purchase, 'entry' AS kind, entry_page AS page
    FROM day_visits
    UNION ALL
    SELECT day, site_id, login_state, is_bot, has_purchase, 'exit' AS kind, exit_page AS page
    FROM day_visits
)
WHERE page IS NOT NULL
GROUP BY ALL;

-- name: journey_daily
-- A session's steps: a page view is its page, any other event its name; a step repeated
-- straight away (a reload) counts once. Steps outside the site's 100 most frequent of the
-- day are '(other)'. Around each step (the anchor), the three transitions after it (depth
-- 1..3, ending in '(exit)') and the three before it (-1..-3, starting at '(entrance)').
-- Each step takes its session's login state and bot flag before it is unnested into six
-- transitions: joining the transitions to the sessions instead cost twice the time.
CREATE OR REPLACE TEMP TABLE out_journey_daily AS
WITH labelled AS (
    SELECT day, site_id, skey, k,
        CASE WHEN event_name = 'page_view' THEN coalesce(page, '(no page)')
            ELSE event_name END AS step
    FROM day_events
),
collapsed AS (
    SELECT * FROM labelled
    QUALIFY step IS DISTINCT FROM lag(step) OVER (PARTITION BY day, site_id, skey ORDER BY k)
),
top_steps AS (
    SELECT site_id, step FROM collapsed GROUP BY site_id, step
    QUALIFY row_number() OVER (PARTITION BY site_id ORDER BY count(*) DESC, step) <= 100
),
around AS (
    SELECT c.day, c.site_id, v.login_state, v.is_bot, coalesce(t.step, '(other)') AS s0
    , lead(coalesce(t.step, '(other)'), 1) OVER w AS n1
    , lead(coalesce(t.step, '(other)'), 2) OVER w AS n2
    , lead(coalesce(t.step, '(other)'), 3) OVER w AS n3
    , lag(coalesce(t.step, '(other)'), 1) OVER w AS p1
    , lag(coalesce(t.step, '(other)'), 2) OVER w AS p2
    , lag(coalesce(t.step, '(other)'), 3) OVER w AS p3
    FROM collapsed AS c LEFT JOIN top_steps AS t USING (site_id, step)
    JOIN day_visits AS v USING (day, site_id, skey)
    WINDOW w AS (PARTITION BY c.day, c.site_id, c.skey ORDER BY c.k)
),
-- Steps with the same neighbours are counted together before they are unnested: the
-- transitions are then summed over far fewer rows than one per step.
neighbours AS (
    SELECT day, site_id, login_state, is_bot, s0, n1, n2, n3, p1, p2, p3, count(*) AS n
    FROM around
    GROUP BY ALL
),
moves AS (
    SELECT day, site_id, login_state, is_bot, s0 AS anchor, n, unnest([
        {'depth': 1, 'f': s0, 't': coalesce(n1, '(exit)')},
        {'depth': 2, 'f': n1, 't': CASE WHEN n1 IS NOT NULL THEN coalesce(n2, '(exit)') END},
        {'depth': 3, 'f': n2, 't': CASE WHEN n2 IS NOT NULL THEN coalesce(n3, '(exit)') END},
        {'depth': -1, 'f': coalesce(p1, '(entrance)'), 't': s0},
        {'depth': -2, 'f': CASE WHEN p1 IS NOT NULL THEN coalesce(p2, '(entrance)') END,
            't': p1},
        {'depth': -3, 'f': CASE WHEN p2 IS NOT NULL THEN coalesce(p3, '(entrance)') END,
            't': p2}
    ], recursive := true)
    FROM neighbours
)
SELECT day, site_id, login_state, is_bot, anchor, depth, f AS step_from,
    t AS step_to, CAST(sum(n) AS BIGINT) AS transitions
FROM moves
WHERE f IS NOT NULL AND t IS NOT NULL
GROUP BY ALL;
