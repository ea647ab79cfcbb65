-- The Geography page's regions are read from sessions (dashboard/queries/traffic.sql,
-- `regions`). Most warehouses have none (the default country data gives no region): this
-- partial index makes "no region in these days" an empty index scan, and the days that have
-- regions a scan of those sessions only.
CREATE INDEX sessions_region_idx ON sessions (day, region) WHERE region IS NOT NULL;
