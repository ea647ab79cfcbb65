-- Pipeline health: ETL runs with their ledger, lag since the newest loaded event, quarantine
-- by reason, alarms and their notifications. Login state and bots do not apply here; the
-- chosen sites narrow what reads events (the newest event, the purchases reconciled), while
-- runs, quarantine and alarms are the pipeline's, shared by every site.

-- name: kpis
SELECT CASE WHEN started_at >= %(start)s::date THEN 'current' ELSE 'previous' END AS period,
    count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed,
    coalesce(sum(loaded), 0)::bigint AS loaded, coalesce(sum(rejected), 0)::bigint AS rejected,
    coalesce(sum(duplicates), 0)::bigint AS duplicates
FROM etl_runs
WHERE started_at >= %(prev_start)s::date AND started_at < %(end)s::date + 1
GROUP BY 1;

-- name: freshness
SELECT (SELECT max(event_timestamp) FROM clickstream_events
        WHERE (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))) AS newest_event,
    (SELECT max(finished_at) FROM etl_runs WHERE status = 'succeeded') AS last_success,
    (SELECT status FROM etl_runs ORDER BY run_id DESC LIMIT 1) AS last_status,
    now() AS checked_at;

-- name: runs
SELECT run_id, trigger, status, started_at, finished_at, files, received, loaded, duplicates,
    conflicts, rejected, late, days_derived, error
FROM etl_runs
WHERE started_at >= %(start)s::date AND started_at < %(end)s::date + 1
ORDER BY run_id DESC LIMIT %(limit)s;

-- name: quarantine
SELECT reason, count(*) AS records, max(quarantined_at) AS latest
FROM etl_quarantine
WHERE quarantined_at >= %(start)s::date AND quarantined_at < %(end)s::date + 1
GROUP BY reason ORDER BY records DESC, reason;

-- name: incidents
SELECT i.incident_id, i.alarm, i.summary, i.opened_at, i.resolved_at,
    count(n.*) FILTER (WHERE n.status = 'delivered') AS delivered,
    count(n.*) FILTER (WHERE n.status = 'pending') AS pending,
    max(n.last_error) AS last_error
FROM ops_incidents i LEFT JOIN ops_notifications n USING (incident_id)
WHERE i.resolved_at IS NULL
    OR (i.opened_at < %(end)s::date + 1 AND i.resolved_at >= %(start)s::date)
GROUP BY i.incident_id ORDER BY i.incident_id DESC LIMIT %(limit)s;

-- name: first_run
-- Whether anything was ever loaded, and the last ETL run: the empty dashboard's guide.
SELECT EXISTS (SELECT 1 FROM clickstream_events) AS has_events,
    (SELECT started_at FROM etl_runs ORDER BY run_id DESC LIMIT 1) AS last_run_started,
    (SELECT status FROM etl_runs ORDER BY run_id DESC LIMIT 1) AS last_status,
    now() AS checked_at;

-- name: purchases
-- Purchase events of the period's UTC days widened by an hour on each side (the
-- reconciliation's `SLACK`), matched in Python with the shop's orders
-- (`warehouse/reconciliation.py`).
SELECT event_id::text AS event_id, order_id, coalesce(order_total, 0) AS total, event_timestamp
FROM clickstream_events
WHERE event_name = 'purchase'
    AND event_timestamp >= (%(start)s::date::timestamp AT TIME ZONE 'UTC') - interval '1 hour'
    AND event_timestamp < ((%(end)s::date + 1)::timestamp AT TIME ZONE 'UTC') + interval '1 hour'
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]));
