-- Our own small user-agent parser: device type, browser family, OS family and bot flag.
-- Written as DuckDB macros over one lower-cased string so the transform stays plain SQL.
-- Order matters: the first matching family wins (Edge and Opera also say "Chrome", Chrome also
-- says "Safari", iOS says "like Mac OS X", Android says "Linux").

CREATE OR REPLACE MACRO ua_is_bot(ua) AS
    ua IS NOT NULL AND regexp_matches(lower(ua),
        'bot\b|bot/|crawl|spider|slurp|scrap|headless|phantomjs|lighthouse|pagespeed|'
        || 'curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|'
        || 'okhttp|libwww|apache-httpclient|axios/|node-fetch|facebookexternalhit|'
        || 'embedly|pingdom|uptimerobot|statuscake|monitor');

CREATE OR REPLACE MACRO ua_device_type(ua) AS CASE
    WHEN ua IS NULL OR trim(ua) = '' THEN 'unknown'
    WHEN ua_is_bot(ua) THEN 'bot'
    WHEN regexp_matches(lower(ua), 'ipad|tablet|kindle|silk/|playbook')
        OR (contains(lower(ua), 'android') AND NOT contains(lower(ua), 'mobile')) THEN 'tablet'
    WHEN regexp_matches(lower(ua), 'mobi|iphone|ipod|android|blackberry|opera mini|windows phone')
        THEN 'mobile'
    WHEN regexp_matches(lower(ua), 'smart-?tv|tizen|web0s|webos|roku|appletv|crkey|playstation|xbox|nintendo')
        THEN 'tv'
    ELSE 'desktop'
END;

CREATE OR REPLACE MACRO ua_browser(ua) AS CASE
    WHEN ua IS NULL OR trim(ua) = '' THEN 'unknown'
    WHEN ua_is_bot(ua) THEN 'bot'
    WHEN regexp_matches(lower(ua), 'edg/|edge/|edga/|edgios/') THEN 'Edge'
    WHEN regexp_matches(lower(ua), 'opr/|opera') THEN 'Opera'
    WHEN contains(lower(ua), 'samsungbrowser/') THEN 'Samsung Internet'
    WHEN regexp_matches(lower(ua), 'firefox/|fxios/') THEN 'Firefox'
    WHEN regexp_matches(lower(ua), 'chrome/|crios/|chromium/') THEN 'Chrome'
    WHEN contains(lower(ua), 'safari/') THEN 'Safari'
    WHEN regexp_matches(lower(ua), 'msie |trident/') THEN 'Internet Explorer'
    ELSE 'other'
END;

CREATE OR REPLACE MACRO ua_os(ua) AS CASE
    WHEN ua IS NULL OR trim(ua) = '' THEN 'unknown'
    WHEN regexp_matches(lower(ua), 'iphone|ipad|ipod') THEN 'iOS'
    WHEN contains(lower(ua), 'android') THEN 'Android'
    WHEN contains(lower(ua), 'windows') THEN 'Windows'
    WHEN contains(lower(ua), 'cros') THEN 'ChromeOS'
    WHEN regexp_matches(lower(ua), 'macintosh|mac os x') THEN 'macOS'
    WHEN contains(lower(ua), 'linux') THEN 'Linux'
    ELSE 'other'
END;
