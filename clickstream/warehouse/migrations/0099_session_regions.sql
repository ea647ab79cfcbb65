-- The Geography page's regions are read from sessions (dashboard/queries/traffic.sql,
-- `regions`), not from traffic_daily, whose key stays as it is. Most warehouses have none (the
-- default country data gives no region): this partial index makes "no region in these days"
-- an empty index scan, and, covering what the statement reads, the days that have regions an
-- index-only scan of those sessions.
CREATE INDEX sessions_region_idx ON sessions (day)
    INCLUDE (region, login_state, is_bot, channel, country, device_type, has_purchase, revenue,
        site_id)
    WHERE region IS NOT NULL;
