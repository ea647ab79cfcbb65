-- Where each landing came from (docs/etl.md, "Acquisition"): run after transform.sql, over the
-- distinct (page_url, referrer) pairs of a batch's valid records, which are far fewer than its
-- lines. Output: `landings`, one row per pair, with the UTM parameters and the ad click id of
-- the page URL, the referrer's host, the source and medium they add up to, and the channel the
-- first matching rule of `channel_rules` names (`etl/channels.py`), else `channel_fallback`.

-- A query parameter's decoded value ('+' is a space in a query), or NULL when absent or empty.
CREATE OR REPLACE MACRO url_param(url, name) AS CASE WHEN contains(url, name || '=') THEN
    nullif(left(coalesce(try(url_decode(replace(
        regexp_extract(url, '[?&]' || name || '=([^&#]*)', 1), '+', ' '))), ''), 200), '')
END;

-- The host of an absolute URL, lower-cased and without a leading "www.", or NULL.
CREATE OR REPLACE MACRO url_host(url) AS nullif(regexp_replace(lower(
    regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#]+)', 1)), '^www\.', ''),
    '');

-- Ad click ids: the parameter an ad network appends to the landing URL, and the source and
-- medium a click with it implies when the URL carries no utm_source.
CREATE OR REPLACE TEMP TABLE click_ids (name VARCHAR, source VARCHAR, medium VARCHAR);
INSERT INTO click_ids VALUES
    ('gclid', 'google', 'cpc'), ('gbraid', 'google', 'cpc'), ('wbraid', 'google', 'cpc'),
    ('dclid', 'google', 'display'), ('msclkid', 'bing', 'cpc'), ('yclid', 'yandex', 'cpc'),
    ('fbclid', 'facebook', 'referral'), ('ttclid', 'tiktok', 'cpc'),
    ('li_fat_id', 'linkedin', 'cpc'), ('twclid', 'twitter', 'cpc'),
    ('epik', 'pinterest', 'cpc'), ('sccid', 'snapchat', 'cpc'), ('rdt_cid', 'reddit', 'cpc'),
    ('irclickid', 'impact', 'affiliate'), ('awc', 'awin', 'affiliate');

CREATE OR REPLACE TEMP TABLE landings AS
WITH pairs AS (
    SELECT DISTINCT page_url, referrer FROM records WHERE reason IS NULL
), parsed AS (
    SELECT page_url, referrer,
        url_param(page_url, 'utm_source') AS utm_source,
        url_param(page_url, 'utm_medium') AS utm_medium,
        url_param(page_url, 'utm_campaign') AS utm_campaign,
        url_param(page_url, 'utm_term') AS utm_term,
        url_param(page_url, 'utm_content') AS utm_content,
        CASE WHEN contains(page_url, '?') THEN regexp_extract(page_url,
            '[?&](gclid|gbraid|wbraid|dclid|msclkid|yclid|fbclid|ttclid|li_fat_id|twclid|epik'
            || '|ScCid|sccid|rdt_cid|irclickid|awc)=([^&#]+)', ['name', 'value']) END AS click,
        url_host(referrer) AS referrer_host_any,
        url_host(page_url) AS page_host
    FROM pairs
), named AS (
    SELECT p.* EXCLUDE (click, referrer_host_any, page_host),
        nullif(lower(p.click.name), '') AS click_id_name,
        nullif(left(p.click.value, 200), '') AS click_id,
        -- A page of the same site is not a referrer.
        CASE WHEN p.referrer_host_any IS DISTINCT FROM p.page_host THEN p.referrer_host_any END
            AS referrer_host
    FROM parsed AS p
), sourced AS (
    SELECT n.*,
        coalesce(lower(n.utm_source), c.source, n.referrer_host, '(direct)') AS traffic_source,
        coalesce(lower(n.utm_medium), CASE
            WHEN n.utm_source IS NOT NULL THEN '(not set)'
            WHEN c.medium IS NOT NULL THEN c.medium
            WHEN n.referrer_host IS NOT NULL THEN 'referral'
            ELSE '(none)'
        END) AS traffic_medium
    FROM named AS n LEFT JOIN click_ids AS c ON c.name = n.click_id_name
), combos AS (
    SELECT DISTINCT traffic_source, traffic_medium, coalesce(utm_campaign, '') AS campaign,
        coalesce(referrer_host, '') AS referrer_host, coalesce(click_id_name, '') AS click_id
    FROM sourced
), matched AS (
    SELECT c.traffic_source, c.traffic_medium, c.campaign, c.referrer_host, c.click_id,
        arg_min(r.channel, r.position) AS channel
    FROM combos AS c JOIN channel_rules AS r
        ON (r.source IS NULL OR regexp_full_match(c.traffic_source, r.source, 'i'))
        AND (r.medium IS NULL OR regexp_full_match(c.traffic_medium, r.medium, 'i'))
        AND (r.campaign IS NULL OR regexp_full_match(c.campaign, r.campaign, 'i'))
        AND (r.referrer_host IS NULL OR regexp_full_match(c.referrer_host, r.referrer_host, 'i'))
        AND (r.click_id IS NULL OR regexp_full_match(c.click_id, r.click_id, 'i'))
    GROUP BY ALL
)
SELECT s.*, coalesce(m.channel, (SELECT channel FROM channel_fallback)) AS channel,
    s.traffic_source = '(direct)' AND s.traffic_medium = '(none)' AS is_plain
FROM sourced AS s LEFT JOIN matched AS m
    ON m.traffic_source = s.traffic_source AND m.traffic_medium = s.traffic_medium
    AND m.campaign = coalesce(s.utm_campaign, '') AND m.referrer_host = coalesce(s.referrer_host, '')
    AND m.click_id = coalesce(s.click_id_name, '');
