-- The user-agent rules of clickstream/etl/sql/useragent.sql as Spark SQL expressions over
-- `user_agent` (Java regular expressions; RLIKE finds a match anywhere, as DuckDB's
-- regexp_matches does). Order matters as there: the first matching family wins.

-- name: is_bot
(user_agent IS NOT NULL AND lower(user_agent) RLIKE concat(
    'bot\\b|bot/|crawl|spider|slurp|scrap|headless|phantomjs|lighthouse|pagespeed|',
    'curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|',
    'okhttp|libwww|apache-httpclient|axios/|node-fetch|facebookexternalhit|',
    'embedly|pingdom|uptimerobot|statuscake|monitor'))

-- name: device_type
CASE
    WHEN user_agent IS NULL OR trim(user_agent) = '' THEN 'unknown'
    WHEN $IS_BOT THEN 'bot'
    WHEN lower(user_agent) RLIKE 'ipad|tablet|kindle|silk/|playbook'
        OR (lower(user_agent) LIKE '%android%' AND lower(user_agent) NOT LIKE '%mobile%')
        THEN 'tablet'
    WHEN lower(user_agent) RLIKE 'mobi|iphone|ipod|android|blackberry|opera mini|windows phone'
        THEN 'mobile'
    WHEN lower(user_agent) RLIKE 'smart-?tv|tizen|web0s|webos|roku|appletv|crkey|playstation|xbox|nintendo'
        THEN 'tv'
    ELSE 'desktop'
END

-- name: browser
CASE
    WHEN user_agent IS NULL OR trim(user_agent) = '' THEN 'unknown'
    WHEN $IS_BOT THEN 'bot'
    WHEN lower(user_agent) RLIKE 'edg/|edge/|edga/|edgios/' THEN 'Edge'
    WHEN lower(user_agent) RLIKE 'opr/|opera' THEN 'Opera'
    WHEN lower(user_agent) LIKE '%samsungbrowser/%' THEN 'Samsung Internet'
    WHEN lower(user_agent) RLIKE 'firefox/|fxios/' THEN 'Firefox'
    WHEN lower(user_agent) RLIKE 'chrome/|crios/|chromium/' THEN 'Chrome'
    WHEN lower(user_agent) LIKE '%safari/%' THEN 'Safari'
    WHEN lower(user_agent) RLIKE 'msie |trident/' THEN 'Internet Explorer'
    ELSE 'other'
END

-- name: os
CASE
    WHEN user_agent IS NULL OR trim(user_agent) = '' THEN 'unknown'
    WHEN lower(user_agent) RLIKE 'iphone|ipad|ipod' THEN 'iOS'
    WHEN lower(user_agent) LIKE '%android%' THEN 'Android'
    WHEN lower(user_agent) LIKE '%windows%' THEN 'Windows'
    WHEN lower(user_agent) LIKE '%cros%' THEN 'ChromeOS'
    WHEN lower(user_agent) RLIKE 'macintosh|mac os x' THEN 'macOS'
    WHEN lower(user_agent) LIKE '%linux%' THEN 'Linux'
    ELSE 'other'
END
