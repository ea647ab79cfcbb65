-- The numbers out (issue 19, docs/api.md): tokens for the dashboard's JSON API, and a stable
-- `analytics` schema of documented views for BI tools (Metabase, Superset, Grafana), read
-- through the read-only dashboard role.

-- API tokens, managed with `clickstream api-tokens add|list|remove`. Only the SHA-256 of a
-- token is stored; the token itself is printed once. `sites` NULL: every site.
CREATE TABLE api_tokens (
    name         text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    token_sha256 text        NOT NULL UNIQUE,
    sites        text[],
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The views select named columns (never `*`), so a column added to a table does not change
-- them; a later migration adds a column with CREATE OR REPLACE VIEW (new columns go last).
CREATE SCHEMA analytics;
COMMENT ON SCHEMA analytics IS
    'Stable, documented views of the Clickstream warehouse for BI tools (docs/api.md).';

CREATE VIEW analytics.events AS
SELECT event_id, event_timestamp, (event_timestamp AT TIME ZONE 'UTC')::date AS day, site_id,
    event_name, user_id, user_login_state, identity_source, client_id, session_id,
    is_first_visit, page_url, referrer, referrer_host,
    context_product_id, context_product_name, context_product_category,
    context_product_brand, context_product_price, context_product_discount_price,
    context_product_url_path, context_product_quantity,
    order_id, order_number, order_total, order_currency, order_item_count,
    device_type, browser, os, is_bot, country, region,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id_name,
    traffic_source, traffic_medium, channel, properties, received_at, client_timestamp
FROM public.clickstream_events;

COMMENT ON VIEW analytics.events IS
    'One row per stored event (each event_id once). Filter on event_timestamp: the table is partitioned by it.';
COMMENT ON COLUMN analytics.events.event_id IS 'The event id (client-made, or a UUIDv7 from the ingest).';
COMMENT ON COLUMN analytics.events.event_timestamp IS 'When the event happened (the client time within the allowed skew, else the time received).';
COMMENT ON COLUMN analytics.events.day IS 'UTC day of event_timestamp.';
COMMENT ON COLUMN analytics.events.site_id IS 'The registered site that sent the event (default when none).';
COMMENT ON COLUMN analytics.events.event_name IS 'page_view, product_view, add_to_cart, purchase, ... or a custom name.';
COMMENT ON COLUMN analytics.events.user_id IS 'The signed-in user, from a verified token; NULL for guests.';
COMMENT ON COLUMN analytics.events.user_login_state IS 'logged_in or guest.';
COMMENT ON COLUMN analytics.events.identity_source IS 'The issuer (iss) of the verified token that gave user_id; NULL for guests.';
COMMENT ON COLUMN analytics.events.client_id IS 'Anonymous browser id (first-party storage, or cookieless).';
COMMENT ON COLUMN analytics.events.session_id IS 'The tracker session id (rotates after 30 minutes idle).';
COMMENT ON COLUMN analytics.events.is_first_visit IS 'True on the event that created client_id.';
COMMENT ON COLUMN analytics.events.page_url IS 'The page the event happened on.';
COMMENT ON COLUMN analytics.events.referrer IS 'The page referrer as sent.';
COMMENT ON COLUMN analytics.events.referrer_host IS 'Host of the referrer.';
COMMENT ON COLUMN analytics.events.context_product_id IS 'The product the event is about.';
COMMENT ON COLUMN analytics.events.context_product_name IS 'Its name.';
COMMENT ON COLUMN analytics.events.context_product_category IS 'Its category.';
COMMENT ON COLUMN analytics.events.context_product_brand IS 'Its brand.';
COMMENT ON COLUMN analytics.events.context_product_price IS 'Its list price.';
COMMENT ON COLUMN analytics.events.context_product_discount_price IS 'Its discounted price, when any.';
COMMENT ON COLUMN analytics.events.context_product_url_path IS 'Its page path.';
COMMENT ON COLUMN analytics.events.context_product_quantity IS 'Quantity (cart and purchase events).';
COMMENT ON COLUMN analytics.events.order_id IS 'Order id (purchase, begin_checkout).';
COMMENT ON COLUMN analytics.events.order_number IS 'Order number shown to the buyer.';
COMMENT ON COLUMN analytics.events.order_total IS 'Order total as sent, never converted.';
COMMENT ON COLUMN analytics.events.order_currency IS 'ISO 4217 currency of order_total.';
COMMENT ON COLUMN analytics.events.order_item_count IS 'Items in the order.';
COMMENT ON COLUMN analytics.events.device_type IS 'desktop, mobile, tablet, ... from the user agent.';
COMMENT ON COLUMN analytics.events.browser IS 'Browser family from the user agent.';
COMMENT ON COLUMN analytics.events.os IS 'Operating system from the user agent.';
COMMENT ON COLUMN analytics.events.is_bot IS 'The user agent is a known bot.';
COMMENT ON COLUMN analytics.events.country IS 'ISO country code of the client IP.';
COMMENT ON COLUMN analytics.events.region IS 'Region of the client IP, when known.';
COMMENT ON COLUMN analytics.events.utm_source IS 'utm_source of the page URL.';
COMMENT ON COLUMN analytics.events.utm_medium IS 'utm_medium of the page URL.';
COMMENT ON COLUMN analytics.events.utm_campaign IS 'utm_campaign of the page URL.';
COMMENT ON COLUMN analytics.events.utm_term IS 'utm_term of the page URL.';
COMMENT ON COLUMN analytics.events.utm_content IS 'utm_content of the page URL.';
COMMENT ON COLUMN analytics.events.click_id_name IS 'Name of the ad click id in the page URL (gclid, fbclid, ...).';
COMMENT ON COLUMN analytics.events.traffic_source IS 'Source given by the channel rules.';
COMMENT ON COLUMN analytics.events.traffic_medium IS 'Medium given by the channel rules.';
COMMENT ON COLUMN analytics.events.channel IS 'Channel given by the channel rules (Direct, Organic Search, ...).';
COMMENT ON COLUMN analytics.events.properties IS 'Free-form event properties (jsonb).';
COMMENT ON COLUMN analytics.events.received_at IS 'When the ingest received the event (UTC).';
COMMENT ON COLUMN analytics.events.client_timestamp IS 'The client clock as sent.';

CREATE VIEW analytics.items AS
SELECT event_id, event_timestamp, (event_timestamp AT TIME ZONE 'UTC')::date AS day,
    event_name, order_id, line, item_id, name, category, brand, variant, price,
    discount_price, quantity
FROM public.event_items;

COMMENT ON VIEW analytics.items IS
    'One row per line of an event items (cart, checkout, purchase). Join analytics.events on event_id and event_timestamp for site_id.';
COMMENT ON COLUMN analytics.items.event_id IS 'The event carrying the line.';
COMMENT ON COLUMN analytics.items.event_timestamp IS 'The event time (the table is partitioned by it).';
COMMENT ON COLUMN analytics.items.day IS 'UTC day of event_timestamp.';
COMMENT ON COLUMN analytics.items.event_name IS 'The event name (add_to_cart, begin_checkout, purchase, ...).';
COMMENT ON COLUMN analytics.items.order_id IS 'The order id of the event, when any.';
COMMENT ON COLUMN analytics.items.line IS 'Position of the line in the event items, from 1.';
COMMENT ON COLUMN analytics.items.item_id IS 'Product id of the line.';
COMMENT ON COLUMN analytics.items.name IS 'Product name.';
COMMENT ON COLUMN analytics.items.category IS 'Product category.';
COMMENT ON COLUMN analytics.items.brand IS 'Product brand.';
COMMENT ON COLUMN analytics.items.variant IS 'Product variant.';
COMMENT ON COLUMN analytics.items.price IS 'Unit list price.';
COMMENT ON COLUMN analytics.items.discount_price IS 'Unit discounted price, when any.';
COMMENT ON COLUMN analytics.items.quantity IS 'Units on the line (1 when absent).';

CREATE VIEW analytics.sessions AS
SELECT day, site_id, session_id, client_id, user_id, started_at, ended_at, duration_seconds, events,
    page_views, pages, landing_page, exit_page, product_views, cart_adds, checkouts,
    purchases, has_purchase, revenue, login_state, is_bounce, visitor_type, is_bot,
    device_type, browser, os, referrer, referrer_host, country, region, source, medium,
    campaign, term, content, click_id_name, channel
FROM public.sessions;

COMMENT ON VIEW analytics.sessions IS
    'One row per session and UTC day (sessions are cut at midnight UTC).';
COMMENT ON COLUMN analytics.sessions.day IS 'UTC day of the session.';
COMMENT ON COLUMN analytics.sessions.site_id IS 'The registered site whose events these are (default when none).';
COMMENT ON COLUMN analytics.sessions.session_id IS 'The tracker session id (or a client:/event: fallback).';
COMMENT ON COLUMN analytics.sessions.client_id IS 'First client id seen in the session.';
COMMENT ON COLUMN analytics.sessions.user_id IS 'First user id seen in the session.';
COMMENT ON COLUMN analytics.sessions.started_at IS 'First event time.';
COMMENT ON COLUMN analytics.sessions.ended_at IS 'Last event time.';
COMMENT ON COLUMN analytics.sessions.duration_seconds IS 'ended_at minus started_at, in seconds.';
COMMENT ON COLUMN analytics.sessions.events IS 'Events in the session.';
COMMENT ON COLUMN analytics.sessions.page_views IS 'page_view events.';
COMMENT ON COLUMN analytics.sessions.pages IS 'Distinct pages (URL without query and fragment).';
COMMENT ON COLUMN analytics.sessions.landing_page IS 'First page seen.';
COMMENT ON COLUMN analytics.sessions.exit_page IS 'Last page seen.';
COMMENT ON COLUMN analytics.sessions.product_views IS 'product_view events.';
COMMENT ON COLUMN analytics.sessions.cart_adds IS 'add_to_cart events.';
COMMENT ON COLUMN analytics.sessions.checkouts IS 'begin_checkout events.';
COMMENT ON COLUMN analytics.sessions.purchases IS 'purchase events.';
COMMENT ON COLUMN analytics.sessions.has_purchase IS 'Any purchase in the session.';
COMMENT ON COLUMN analytics.sessions.revenue IS 'Sum of the purchases revenue (order_total, or the sum of the lines).';
COMMENT ON COLUMN analytics.sessions.login_state IS 'logged_in when any event was logged in, else guest.';
COMMENT ON COLUMN analytics.sessions.is_bounce IS 'At most one distinct page and no cart, checkout or purchase event.';
COMMENT ON COLUMN analytics.sessions.visitor_type IS 'new when an event had is_first_visit, else returning.';
COMMENT ON COLUMN analytics.sessions.is_bot IS 'Any event from a bot agent.';
COMMENT ON COLUMN analytics.sessions.device_type IS 'Device type of the first event.';
COMMENT ON COLUMN analytics.sessions.browser IS 'Browser of the first event.';
COMMENT ON COLUMN analytics.sessions.os IS 'Operating system of the first event.';
COMMENT ON COLUMN analytics.sessions.referrer IS 'Referrer of the first event.';
COMMENT ON COLUMN analytics.sessions.referrer_host IS 'Referrer host of the first event.';
COMMENT ON COLUMN analytics.sessions.country IS 'Country of the first event.';
COMMENT ON COLUMN analytics.sessions.region IS 'Region of the first event.';
COMMENT ON COLUMN analytics.sessions.source IS 'Traffic source of the first event.';
COMMENT ON COLUMN analytics.sessions.medium IS 'Traffic medium of the first event.';
COMMENT ON COLUMN analytics.sessions.campaign IS 'Campaign of the first event.';
COMMENT ON COLUMN analytics.sessions.term IS 'utm_term of the first event.';
COMMENT ON COLUMN analytics.sessions.content IS 'utm_content of the first event.';
COMMENT ON COLUMN analytics.sessions.click_id_name IS 'Ad click id name of the first event.';
COMMENT ON COLUMN analytics.sessions.channel IS 'Channel of the first event.';

CREATE VIEW analytics.daily_kpis AS
SELECT day, site_id, login_state, is_bot, sessions, visitors, new_sessions, bounces, events,
    page_views, product_views, cart_adds, checkouts, purchases, purchasing_sessions, revenue,
    duration_seconds
FROM public.daily_kpis;

COMMENT ON VIEW analytics.daily_kpis IS
    'Headline figures per UTC day, login state and bot flag; additive across rows except visitors.';
COMMENT ON COLUMN analytics.daily_kpis.day IS 'UTC day.';
COMMENT ON COLUMN analytics.daily_kpis.site_id IS 'The registered site whose events these are (default when none).';
COMMENT ON COLUMN analytics.daily_kpis.login_state IS 'logged_in or guest (of the session).';
COMMENT ON COLUMN analytics.daily_kpis.is_bot IS 'Bot sessions (exclude them for human traffic).';
COMMENT ON COLUMN analytics.daily_kpis.sessions IS 'Sessions.';
COMMENT ON COLUMN analytics.daily_kpis.visitors IS 'Distinct clients that day: not additive across days.';
COMMENT ON COLUMN analytics.daily_kpis.new_sessions IS 'Sessions of new visitors.';
COMMENT ON COLUMN analytics.daily_kpis.bounces IS 'Bouncing sessions.';
COMMENT ON COLUMN analytics.daily_kpis.events IS 'Events.';
COMMENT ON COLUMN analytics.daily_kpis.page_views IS 'page_view events.';
COMMENT ON COLUMN analytics.daily_kpis.product_views IS 'product_view events.';
COMMENT ON COLUMN analytics.daily_kpis.cart_adds IS 'add_to_cart events.';
COMMENT ON COLUMN analytics.daily_kpis.checkouts IS 'begin_checkout events.';
COMMENT ON COLUMN analytics.daily_kpis.purchases IS 'purchase events.';
COMMENT ON COLUMN analytics.daily_kpis.purchasing_sessions IS 'Sessions with a purchase.';
COMMENT ON COLUMN analytics.daily_kpis.revenue IS 'Revenue of the purchases, as sent.';
COMMENT ON COLUMN analytics.daily_kpis.duration_seconds IS 'Sum of session durations; divide by sessions for the average.';

CREATE VIEW analytics.product_daily AS
SELECT day, site_id, product_id, login_state, is_bot, name, category, brand, views, cart_adds,
    cart_units, purchases, units, revenue
FROM public.product_daily;

COMMENT ON VIEW analytics.product_daily IS
    'Products per UTC day, login state and bot flag, from every product line of the events; revenue summed over products equals daily_kpis.revenue.';
COMMENT ON COLUMN analytics.product_daily.day IS 'UTC day.';
COMMENT ON COLUMN analytics.product_daily.site_id IS 'The registered site whose events these are (default when none).';
COMMENT ON COLUMN analytics.product_daily.product_id IS 'Product id; the empty id holds what orders earned beyond their lines.';
COMMENT ON COLUMN analytics.product_daily.login_state IS 'logged_in or guest (of the session).';
COMMENT ON COLUMN analytics.product_daily.is_bot IS 'Bot sessions.';
COMMENT ON COLUMN analytics.product_daily.name IS 'Product name seen that day.';
COMMENT ON COLUMN analytics.product_daily.category IS 'Product category seen that day.';
COMMENT ON COLUMN analytics.product_daily.brand IS 'Product brand seen that day.';
COMMENT ON COLUMN analytics.product_daily.views IS 'Lines of product_view events.';
COMMENT ON COLUMN analytics.product_daily.cart_adds IS 'Lines of add_to_cart events.';
COMMENT ON COLUMN analytics.product_daily.cart_units IS 'Units added to carts.';
COMMENT ON COLUMN analytics.product_daily.purchases IS 'Lines of purchase events (orders holding the product).';
COMMENT ON COLUMN analytics.product_daily.units IS 'Units purchased.';
COMMENT ON COLUMN analytics.product_daily.revenue IS 'Revenue of the purchased lines.';

CREATE VIEW analytics.traffic_daily AS
SELECT day, site_id, login_state, is_bot, channel, source, medium, campaign, device_type, browser, os,
    country, sessions, new_sessions, bounces, purchasing_sessions, purchases, revenue
FROM public.traffic_daily;

COMMENT ON VIEW analytics.traffic_daily IS
    'Sessions per UTC day by channel, source, medium, campaign, device, browser, OS and country (of the first event); dimensions are never NULL.';
COMMENT ON COLUMN analytics.traffic_daily.day IS 'UTC day.';
COMMENT ON COLUMN analytics.traffic_daily.site_id IS 'The registered site whose events these are (default when none).';
COMMENT ON COLUMN analytics.traffic_daily.login_state IS 'logged_in or guest (of the session).';
COMMENT ON COLUMN analytics.traffic_daily.is_bot IS 'Bot sessions.';
COMMENT ON COLUMN analytics.traffic_daily.channel IS 'Channel given by the channel rules (Unassigned when none matched).';
COMMENT ON COLUMN analytics.traffic_daily.source IS 'Traffic source ((direct) when none).';
COMMENT ON COLUMN analytics.traffic_daily.medium IS 'Traffic medium ((none) when none).';
COMMENT ON COLUMN analytics.traffic_daily.campaign IS 'Campaign ((none) when none).';
COMMENT ON COLUMN analytics.traffic_daily.device_type IS 'Device type (unknown when none).';
COMMENT ON COLUMN analytics.traffic_daily.browser IS 'Browser (unknown when none).';
COMMENT ON COLUMN analytics.traffic_daily.os IS 'Operating system (unknown when none).';
COMMENT ON COLUMN analytics.traffic_daily.country IS 'Country code (unknown when none).';
COMMENT ON COLUMN analytics.traffic_daily.sessions IS 'Sessions.';
COMMENT ON COLUMN analytics.traffic_daily.new_sessions IS 'Sessions of new visitors.';
COMMENT ON COLUMN analytics.traffic_daily.bounces IS 'Bouncing sessions.';
COMMENT ON COLUMN analytics.traffic_daily.purchasing_sessions IS 'Sessions with a purchase.';
COMMENT ON COLUMN analytics.traffic_daily.purchases IS 'purchase events.';
COMMENT ON COLUMN analytics.traffic_daily.revenue IS 'Revenue of the purchases, as sent.';

-- The read-only role reads the views (and views a later migration adds); nothing else.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_dashboard') THEN
        GRANT USAGE ON SCHEMA analytics TO clickstream_dashboard;
        GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO clickstream_dashboard;
        ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES
            TO clickstream_dashboard;
    END IF;
END
$$;
