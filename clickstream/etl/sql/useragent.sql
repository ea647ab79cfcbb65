-- Device type, browser family, OS family and bot flag of a user agent. The parsing is a
-- library's (ua-parser's rules, through `etl/agents.py`, which installs ua_library_device,
-- ua_library_browser and ua_library_os); these macros add the bot list below, which also
-- catches HTTP clients and monitors the library's rules leave as "Other".

CREATE OR REPLACE MACRO ua_is_bot(ua) AS
    ua IS NOT NULL AND (ua_library_device(ua) = 'bot' OR regexp_matches(lower(ua),
        'bot\b|bot/|crawl|spider|slurp|scrap|headless|phantomjs|lighthouse|pagespeed|'
        || 'curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|'
        || 'okhttp|libwww|apache-httpclient|axios/|node-fetch|facebookexternalhit|'
        || 'embedly|pingdom|uptimerobot|statuscake|monitor'));

CREATE OR REPLACE MACRO ua_device_type(ua) AS
    CASE WHEN ua_is_bot(ua) THEN 'bot' ELSE ua_library_device(ua) END;

CREATE OR REPLACE MACRO ua_browser(ua) AS
    CASE WHEN ua_is_bot(ua) THEN 'bot' ELSE ua_library_browser(ua) END;

CREATE OR REPLACE MACRO ua_os(ua) AS ua_library_os(ua);
