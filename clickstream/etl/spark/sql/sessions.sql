-- The run's sessions, cut in Spark from the rows it loads: the same rows as the `sessions`
-- statement of clickstream/etl/derive/derive.sql (its `out_sessions`, with `duration_us`),
-- written for Spark. Used only for days the run alone fills (no event stored before it), so
-- the run's own rows are the whole day. A session is a site's events of the day under one
-- key (session_id, else the client's, else the event's own), cut at midnight UTC; its events are
-- ordered by time, then event_id (canonical lowercase text orders as the warehouse's UUIDs).
-- Input: `loaded_rows` (sql/transform.sql), the typed rows the run inserts.

-- name: session_events
-- One window pass over (day, site, session key): each event carries its session's first and last
-- values, so the aggregate after it (on the same partitioning, no second shuffle) only counts.
SELECT day, site_id, skey, event_name, page, user_login_state, is_first_visit, is_bot,
    event_timestamp, revenue,
    first_value(client_id, true) OVER whole_session AS first_client,
    first_value(user_id, true) OVER whole_session AS first_user,
    first_value(page, true) OVER whole_session AS landing_page,
    last_value(page, true) OVER whole_session AS exit_page,
    -- A struct is never NULL: the first event counts even when all its fields are.
    first_value(named_struct('d', device_type, 'b', browser, 'o', os, 'r', referrer,
        'country', country, 'region', region, 'rh', referrer_host, 's', traffic_source,
        'm', traffic_medium, 'c', utm_campaign, 't', utm_term, 'ct', utm_content,
        'k', click_id_name, 'ch', channel)) OVER whole_session AS first_event
FROM (
    SELECT to_date(event_timestamp) AS day,
        coalesce(session_id, 'client:' || client_id, 'event:' || event_id) AS skey,
        nullif(split_part(split_part(page_url, '?', 1), '#', 1), '') AS page,
        -- A purchase's revenue: its order total, else the sum of its lines (its `items`, or
        -- its `product` as one line when it has none); a line is quantity * (discount price
        -- if given, else price).
        CASE WHEN event_name = 'purchase' THEN coalesce(order_total,
            CASE WHEN lines IS NOT NULL AND size(lines) > 0
                THEN aggregate(lines, CAST(0 AS DECIMAL(38, 2)),
                    (total, l) -> CAST(total + coalesce(l.discount_price, l.price, 0)
                        * coalesce(l.quantity, 1) AS DECIMAL(38, 2)))
                WHEN context_product_id IS NOT NULL
                THEN coalesce(context_product_discount_price, context_product_price, 0)
                    * coalesce(context_product_quantity, 1)
            END, 0)
        END AS revenue,
        *
    FROM (SELECT *, from_json(items_json, '$ITEM_TYPE') AS lines FROM loaded_rows)
)
WINDOW whole_session AS (PARTITION BY day, site_id, skey ORDER BY event_timestamp, event_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

-- name: sessions
SELECT day, session_id, client_id, user_id, started_at, ended_at,
    CAST(duration_us AS DOUBLE) / 1000000 AS duration_seconds, duration_us, events,
    page_views, pages, landing_page, exit_page, product_views, cart_adds, checkouts, purchases,
    has_purchase, revenue, login_state,
    pages <= 1 AND NOT has_cart_step AS is_bounce,
    visitor_type, is_bot, first_event.d AS device_type, first_event.b AS browser,
    first_event.o AS os, first_event.r AS referrer,
    first_event.country AS country, first_event.region AS region,
    first_event.rh AS referrer_host,
    CASE WHEN first_event.ch IS NOT NULL THEN coalesce(first_event.s, '(direct)') END AS source,
    CASE WHEN first_event.ch IS NOT NULL THEN coalesce(first_event.m, '(none)') END AS medium,
    first_event.c AS campaign, first_event.t AS term, first_event.ct AS content,
    first_event.k AS click_id_name, first_event.ch AS channel, site_id
FROM (
    SELECT day, site_id, skey AS session_id,
        any_value(first_client) AS client_id,
        any_value(first_user) AS user_id,
        min(event_timestamp) AS started_at,
        max(event_timestamp) AS ended_at,
        unix_micros(max(event_timestamp)) - unix_micros(min(event_timestamp)) AS duration_us,
        count(*) AS events,
        count_if(event_name = 'page_view') AS page_views,
        count(DISTINCT page) AS pages,
        any_value(landing_page) AS landing_page,
        any_value(exit_page) AS exit_page,
        count_if(event_name = 'product_view') AS product_views,
        count_if(event_name = 'add_to_cart') AS cart_adds,
        count_if(event_name = 'begin_checkout') AS checkouts,
        count_if(event_name = 'purchase') AS purchases,
        bool_or(event_name = 'purchase') AS has_purchase,
        coalesce(sum(revenue), 0) AS revenue,
        CASE WHEN bool_or(user_login_state = 'logged_in') THEN 'logged_in' ELSE 'guest' END
            AS login_state,
        bool_or(event_name IN ('add_to_cart', 'begin_checkout', 'purchase')) AS has_cart_step,
        CASE WHEN bool_or(coalesce(is_first_visit, false)) THEN 'new' ELSE 'returning' END
            AS visitor_type,
        bool_or(is_bot) AS is_bot,
        any_value(first_event) AS first_event
    FROM session_events
    GROUP BY day, site_id, skey
);
