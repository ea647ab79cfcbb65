-- Cohorts across days (docs/etl.md, "Retention"): kept after the days' roll-ups are replaced,
-- in the derive's transaction. `retention_touched` holds the visitors seen on the derived days
-- before and after; their first days are computed again from `visitor_activity_daily`, so a
-- late event that moves a first day earlier, and an erasure that removes a visitor's days,
-- both land. Every day of the ISO weeks the derived days (and the days of visitors whose
-- cohort changed) fall in is then counted again.

-- name: touched_before
CREATE TEMP TABLE retention_touched AS
SELECT DISTINCT site_id, client_id FROM visitor_activity_daily WHERE day = ANY(%(days)s);

-- name: touched_after
INSERT INTO retention_touched
SELECT DISTINCT site_id, client_id FROM visitor_activity_daily WHERE day = ANY(%(days)s);

-- name: first_seen_before
CREATE TEMP TABLE retention_before AS
SELECT f.* FROM visitor_first_seen AS f
JOIN (SELECT DISTINCT site_id, client_id FROM retention_touched) AS t USING (site_id, client_id);

-- name: first_seen_delete
DELETE FROM visitor_first_seen AS f USING retention_before AS b
WHERE f.site_id = b.site_id AND f.client_id = b.client_id;

-- name: first_seen_insert
INSERT INTO visitor_first_seen (site_id, client_id, first_day, login_state, is_bot)
SELECT DISTINCT ON (a.site_id, a.client_id) a.site_id, a.client_id, a.day, a.login_state,
    a.is_bot
FROM visitor_activity_daily AS a
JOIN (SELECT DISTINCT site_id, client_id FROM retention_touched) AS t USING (site_id, client_id)
ORDER BY a.site_id, a.client_id, a.day;

-- name: moved_days
-- Days on which a visitor whose cohort changed (new, moved, or gone) was active.
SELECT DISTINCT a.day
FROM visitor_activity_daily AS a
JOIN (
    SELECT site_id, client_id FROM (
        SELECT f.site_id, f.client_id, f.first_day, f.login_state, f.is_bot
        FROM visitor_first_seen AS f
        JOIN (SELECT DISTINCT site_id, client_id FROM retention_touched) AS t
            USING (site_id, client_id)
        EXCEPT
        SELECT site_id, client_id, first_day, login_state, is_bot FROM retention_before
    ) AS changed
) AS c USING (site_id, client_id);

-- name: cohorts_delete
DELETE FROM retention_daily WHERE day = ANY(%(days)s);

-- name: cohorts_insert
INSERT INTO retention_daily (day, site_id, first_day, login_state, is_bot, visitors,
    purchasers, week_visitors, week_purchasers)
SELECT a.day, a.site_id, f.first_day, f.login_state, f.is_bot, count(*),
    count(*) FILTER (WHERE a.purchasing_sessions > 0),
    count(*) FILTER (WHERE a.day = a.week_first),
    count(*) FILTER (WHERE a.day = a.week_first_purchase)
FROM (
    SELECT day, site_id, client_id, purchasing_sessions,
        min(day) OVER w AS week_first,
        min(day) FILTER (WHERE purchasing_sessions > 0) OVER w AS week_first_purchase
    FROM visitor_activity_daily
    WHERE day = ANY(%(days)s)
    -- The ISO week's Monday, as date arithmetic (date_trunc would go through the session's
    -- time zone).
    WINDOW w AS (PARTITION BY site_id, client_id, day - (extract(isodow FROM day)::int - 1))
) AS a
JOIN visitor_first_seen AS f USING (site_id, client_id)
GROUP BY a.day, a.site_id, f.first_day, f.login_state, f.is_bot;

-- name: drop_scratch
DROP TABLE IF EXISTS retention_touched, retention_before;
