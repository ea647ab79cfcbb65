-- name: final
-- Every received line's outcome once the warehouse said which event_ids it already holds
-- (`known`): loaded, duplicate, conflict or rejected.
CREATE OR REPLACE TEMP TABLE final AS
SELECT r.rowid AS row_key, r.file_no, r.line_number, r.event_id, r.reason, r.is_late,
    r.event_timestamp,
    CASE
        WHEN r.reason IS NOT NULL THEN 'rejected'
        WHEN n.id_rank > 1 AND r.payload_hash = n.first_hash THEN 'duplicate'
        WHEN n.id_rank > 1 THEN 'conflict'
        WHEN k.event_id IS NULL THEN 'loaded'
        WHEN k.same_payload THEN 'duplicate'
        ELSE 'conflict'
    END AS outcome
FROM records AS r
LEFT JOIN ranks AS n ON n.row_key = r.rowid
LEFT JOIN known AS k ON n.id_rank = 1 AND k.event_id = r.event_id;

-- name: file_ledger
SELECT file_no,
    count(*) AS received,
    count(*) FILTER (WHERE outcome = 'loaded') AS loaded,
    count(*) FILTER (WHERE outcome = 'duplicate') AS duplicates,
    count(*) FILTER (WHERE outcome = 'conflict') AS conflicts,
    count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
    count(*) FILTER (WHERE outcome = 'loaded' AND is_late) AS late
FROM final GROUP BY file_no ORDER BY file_no;

-- name: rejected_by_reason
SELECT reason, count(*) FROM final WHERE outcome = 'rejected' GROUP BY reason ORDER BY reason;

-- name: loaded_days
SELECT DISTINCT CAST(event_timestamp AT TIME ZONE 'UTC' AS DATE) AS day
FROM final WHERE outcome = 'loaded' ORDER BY day;

-- name: candidate_ids
SELECT r.event_id, r.event_timestamp, r.source_file, r.payload_hash
FROM records AS r JOIN ranks AS n ON n.row_key = r.rowid
WHERE n.id_rank = 1;

-- name: new_ids
-- The candidates to register once the warehouse said which ids it already holds (`known`).
SELECT r.event_id, r.event_timestamp, r.source_file, r.payload_hash
FROM records AS r JOIN ranks AS n ON n.row_key = r.rowid
WHERE n.id_rank = 1 AND r.event_id NOT IN (SELECT event_id FROM known);

-- name: settle_final
-- `final` once `known` is filled: a first line whose id the warehouse holds is a duplicate
-- (same payload) or a conflict, as the `final` statement decides it.
UPDATE final SET outcome = CASE WHEN k.same_payload THEN 'duplicate' ELSE 'conflict' END
FROM known AS k
WHERE final.event_id = k.event_id AND final.outcome = 'loaded';

-- name: loaded
-- The rows to insert: both the COPY into PostgreSQL and the derive's Parquet file come from
-- here. A view, not a table: materialising its ~50 columns cost 0.3 s of CPU per 125,000-line
-- batch, while each of its two full readers pays only the joins again (0.04 s: `final`, the
-- few agents and landings). Being a view of `final`, it follows `settle_final` by itself.
CREATE OR REPLACE TEMP VIEW loaded AS
SELECT r.event_id, r.event_timestamp, r.event_name, r.user_id, r.user_login_state,
    r.identity_source, r.client_id, r.session_id, r.is_first_visit,
    r.context_product_id, r.context_product_name, r.context_product_category,
    r.context_product_brand, r.context_product_price, r.context_product_discount_price,
    r.context_product_url_path, r.page_url, r.referrer, r.received_at, r.client_timestamp,
    r.context_product_quantity, r.order_id, r.order_number, r.order_total, r.order_currency,
    r.order_item_count, r.user_agent, r.client_ip, a.device_type, a.browser, a.os,
    coalesce(a.is_bot, false) AS is_bot,
    r.properties, r.request_id, r.ingest_node, r.source_file, (SELECT run_id FROM run_context) AS etl_run_id,
    -- acquisition.sql's columns (schema.ACQUISITION_EVENT_COLUMNS)
    r.country, r.region, v.referrer_host, v.utm_source, v.utm_medium, v.utm_campaign,
    v.utm_term, v.utm_content, v.click_id_name, v.click_id,
    -- Most events are plain visits (no tags, no outside referrer): their source and medium,
    -- (direct) and (none), are left NULL, which costs the load and the derive less.
    CASE WHEN NOT v.is_plain THEN v.traffic_source END AS traffic_source,
    CASE WHEN NOT v.is_plain THEN v.traffic_medium END AS traffic_medium, v.channel,
    -- sites (0090)
    r.site_id,
    r.items
FROM records AS r JOIN final AS f ON f.row_key = r.rowid
LEFT JOIN agents AS a ON a.user_agent IS NOT DISTINCT FROM r.user_agent
LEFT JOIN landings AS v ON v.page_url IS NOT DISTINCT FROM r.page_url
    AND v.referrer IS NOT DISTINCT FROM r.referrer
WHERE f.outcome = 'loaded';

-- name: loaded_events
-- One UTC day's rows (the connection is in UTC; `{day}` is filled in with a date literal). Not
-- sorted: lake files hold events in receipt order, already close to time order, so PostgreSQL
-- appends near the right edge of the event_timestamp indexes either way (a 125,000-row day
-- file COPYs in the same backend CPU time sorted or not), while the sort cost DuckDB a quarter
-- of a second per batch.
-- `copy_query` takes the event columns by name: the lines (`items`) go to event_items only
-- (`loaded_items`).
SELECT * FROM loaded WHERE CAST(event_timestamp AS DATE) = {day};

-- name: item_days
-- The UTC days of the rows to insert that carry items. This and `loaded_items` read `records`
-- and `final`, not the `loaded` view: they need none of its joins.
SELECT DISTINCT CAST(r.event_timestamp AS DATE) AS day
FROM records AS r JOIN final AS f ON f.row_key = r.rowid
WHERE f.outcome = 'loaded' AND r.items IS NOT NULL ORDER BY day;

-- name: loaded_items
-- One UTC day's item lines (`{day}` as in `loaded_events`), one row per line, numbered from 1
-- in the order the event lists them: exactly the lines of the events loaded, so a duplicate or
-- a conflict adds none.
SELECT event_id, event_timestamp, event_name, order_id, line, i.id AS item_id, i.name,
    i.category, i.brand, i.variant, i.price, i.discount_price, i.quantity
FROM (
    SELECT event_id, event_timestamp, event_name, order_id, unnest(lines) AS i,
        generate_subscripts(lines, 1) AS line
    FROM (
        SELECT r.*, typed_items(r.items) AS lines
        FROM records AS r JOIN final AS f ON f.row_key = r.rowid
        WHERE f.outcome = 'loaded' AND r.items IS NOT NULL
            AND CAST(r.event_timestamp AS DATE) = {day}
    )
);

-- name: quarantined_rejected
SELECT (SELECT run_id FROM run_context) AS run_id, r.source_file, r.line_number, r.reason,
    left(replace(r.line, chr(0), ''), 65536) AS raw, 'rejected' AS kind, NULL::UUID AS event_id
FROM records AS r
WHERE r.reason IS NOT NULL;

-- name: conflict_lines
-- The lake line of each conflicting line, for a batch split line by line (a batch read
-- directly finds them with `conflicts.py`).
CREATE OR REPLACE TEMP TABLE conflict_lines AS
SELECT f.row_key, r.line_number, l.line
FROM final AS f
JOIN records AS r ON r.rowid = f.row_key
JOIN raw_lines AS l ON l.file_no = r.file_no AND l.line_number = r.line_number
WHERE f.outcome = 'conflict';

-- name: quarantined_conflicts
SELECT (SELECT run_id FROM run_context) AS run_id, r.source_file, l.line_number,
    'conflict: event_id already stored with a different payload' AS reason,
    left(replace(l.line, chr(0), ''), 65536) AS raw, 'conflict' AS kind, r.event_id
FROM final AS f
JOIN records AS r ON r.rowid = f.row_key
JOIN conflict_lines AS l ON l.row_key = f.row_key
WHERE f.outcome = 'conflict';

-- name: conflict_keys
-- What identifies each conflicting line of a batch read directly within its file: its id,
-- payload hash, receipt time and request (with the file's path, which Python reads).
SELECT f.row_key, r.source_file, x.path, r.event_id, r.payload_hash, r.received_at,
    r.request_id
FROM final AS f
JOIN records AS r ON r.rowid = f.row_key
JOIN raw_files AS x ON x.file_no = r.file_no
WHERE f.outcome = 'conflict';

-- name: ambiguous_repeats
-- Lines of one event_id tied on every ranking key a direct read has (no line numbers) but
-- with different payloads: which one is kept is decided by line number, so line by line.
SELECT count(*) FROM (
    SELECT 1 FROM records WHERE reason IS NULL
    GROUP BY event_id, received_at, source_file, request_id
    HAVING count(DISTINCT payload_hash) > 1
);

-- name: parsed_lines
-- Every valid line of a (small) batch split line by line, with its text and identity.
SELECT r.source_file, r.line_number, l.line, r.event_id, r.payload_hash, r.received_at,
    r.request_id
FROM records AS r
JOIN raw_lines AS l ON l.file_no = r.file_no AND l.line_number = r.line_number
WHERE r.reason IS NULL;

-- name: matched_conflict_lines
-- Each conflicting line paired with one lake line of the same identity (repeats of an
-- identical line paired one to one).
CREATE OR REPLACE TEMP TABLE conflict_lines AS
SELECT k.row_key, p.line_number, p.line
FROM (
    SELECT *, row_number() OVER (PARTITION BY source_file, event_id, payload_hash,
        received_at, request_id ORDER BY row_key) AS n
    FROM conflict_keys
) AS k
JOIN (
    SELECT *, row_number() OVER (PARTITION BY source_file, event_id, payload_hash,
        received_at, request_id ORDER BY line_number) AS n
    FROM conflict_candidates
) AS p
ON p.source_file = k.source_file AND p.event_id = k.event_id
    AND p.payload_hash = k.payload_hash AND p.received_at = k.received_at
    AND p.request_id IS NOT DISTINCT FROM k.request_id AND p.n = k.n;
