-- Where visitors come from, on what device, from which country (issue 15).
--
-- Events keep the ingest's country lookup (made before the IP is truncated), the referrer's
-- host, the UTM parameters and ad click id parsed from the page URL, and the source, medium
-- and channel the ETL's channel rules give them. A session takes its first event's.

ALTER TABLE clickstream_events
    ADD COLUMN country text,
    ADD COLUMN region text,
    ADD COLUMN referrer_host text,
    ADD COLUMN utm_source text,
    ADD COLUMN utm_medium text,
    ADD COLUMN utm_campaign text,
    ADD COLUMN utm_term text,
    ADD COLUMN utm_content text,
    ADD COLUMN click_id_name text,
    ADD COLUMN click_id text,
    ADD COLUMN traffic_source text,
    ADD COLUMN traffic_medium text,
    ADD COLUMN channel text;

ALTER TABLE sessions
    ADD COLUMN country text,
    ADD COLUMN region text,
    ADD COLUMN referrer_host text,
    ADD COLUMN source text,
    ADD COLUMN medium text,
    ADD COLUMN campaign text,
    ADD COLUMN term text,
    ADD COLUMN content text,
    ADD COLUMN click_id_name text,
    ADD COLUMN channel text;

-- Sessions per day by every acquisition, technology and geography dimension: the Acquisition,
-- Technology and Geography pages and the channel, country and device filters read this
-- instead of scanning sessions. Dimensions are never NULL ('(none)', 'unknown' instead), so
-- they can be part of the key.
CREATE TABLE traffic_daily (
    day                 date NOT NULL,
    login_state         text NOT NULL,
    is_bot              boolean NOT NULL,
    channel             text NOT NULL,
    source              text NOT NULL,
    medium              text NOT NULL,
    campaign            text NOT NULL,
    device_type         text NOT NULL,
    browser             text NOT NULL,
    os                  text NOT NULL,
    country             text NOT NULL,
    sessions            integer NOT NULL,
    new_sessions        integer NOT NULL,
    bounces             integer NOT NULL,
    purchasing_sessions integer NOT NULL,
    purchases           integer NOT NULL,
    revenue             numeric(16,2) NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, channel, source, medium, campaign, device_type,
        browser, os, country)
);
