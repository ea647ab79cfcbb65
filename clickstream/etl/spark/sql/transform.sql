-- Lake lines to typed, validated, flattened records and each line's outcome, in Spark SQL.
-- The same rules as the DuckDB transform (clickstream/etl/sql/transform.sql), written for
-- Spark: one parse per line into the contract's struct, one window pass that ranks repeats of
-- an event_id, and one join with the ids the warehouse already holds. Placeholders ($NAME) are
-- filled in by clickstream/etl/spark/transform.py from the event contract and the warehouse
-- schema, so a column added there flows through here.

-- name: lake_records
-- Input: lake_lines(file_no, batch_no, source_file, hour_start, line_number, line, fault):
-- a file's fault (a torn gzip stream) is its line 0, with no text.
SELECT l.*, from_json(l.line, '$CONTRACT',
        map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt')) AS r
FROM lake_lines AS l;

-- name: typed
-- A line parsed into the contract's struct is an object; any other is checked for being JSON
-- at all (Spark has no cheaper test than parsing it again, and only these lines pay).
SELECT file_no, batch_no, source_file, hour_start, line_number, line, fault,
    is_object OR try_parse_json(line) IS NOT NULL AS is_json, is_object,
    coalesce(r.event_name, r.eventName) AS name_text,
    CASE coalesce(r.event_name, r.eventName)
        WHEN 'add_to_cart_click' THEN 'add_to_cart'
        WHEN 'remove_from_cart_click' THEN 'remove_from_cart'
        WHEN 'checkout_start' THEN 'begin_checkout'
        WHEN 'checkout_complete' THEN 'purchase'
        WHEN 'login_success' THEN 'login'
        ELSE coalesce(r.event_name, r.eventName)
    END AS event_name,
    -- A UUID in any of the spellings DuckDB reads (hyphens anywhere, braces), written
    -- canonically; else NULL.
    CASE WHEN r.event_id RLIKE '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        THEN r.event_id
        WHEN regexp_replace(regexp_replace(r.event_id, '^[{](.*)[}]$', '$1'), '-', '')
            RLIKE '^[0-9a-fA-F]{32}$'
        THEN regexp_replace(lower(regexp_replace(regexp_replace(r.event_id, '^[{](.*)[}]$', '$1'), '-', '')),
            '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '$1-$2-$3-$4-$5')
    END AS event_id,
    r.event_timestamp AS event_timestamp_text,
    $AS_TIME(r.event_timestamp) AS event_timestamp,
    r.received_at AS received_at_text,
    $AS_TIME(r.received_at) AS received_at,
    r.client_timestamp AS client_timestamp_text,
    $AS_TIME(r.client_timestamp) AS client_timestamp,
    coalesce(r.user_id, r.userId) AS user_id,
    CASE lower(coalesce(r.user_login_state, r.userLoginState))
        WHEN 'anonymous' THEN 'guest'
        ELSE coalesce(r.user_login_state, r.userLoginState)
    END AS user_login_state,
    coalesce(r.client_id, r.clientId) AS client_id,
    coalesce(r.session_id, r.sessionId) AS session_id,
    coalesce(r.is_first_visit, r.isFirstVisit) AS is_first_visit_text,
    try_cast(coalesce(r.is_first_visit, r.isFirstVisit) AS BOOLEAN) AS is_first_visit,
    r.product.id AS context_product_id,
    r.product.name AS context_product_name,
    r.product.category AS context_product_category,
    r.product.brand AS context_product_brand,
    r.product.price AS price_text,
    try_cast(r.product.price AS DECIMAL(14, 2)) AS context_product_price,
    coalesce(r.product.discount_price, r.product.discountPrice) AS discount_text,
    try_cast(coalesce(r.product.discount_price, r.product.discountPrice) AS DECIMAL(14, 2))
        AS context_product_discount_price,
    coalesce(r.product.url_path, r.product.urlPath) AS context_product_url_path,
    coalesce(r.page_url, r.pageUrl) AS page_url,
    r.product.quantity AS quantity_text,
    $AS_WHOLE(r.product.quantity) AS context_product_quantity,
    r.`order`.id AS order_id,
    r.`order`.number AS order_number,
    r.`order`.total AS total_text,
    try_cast(r.`order`.total AS DECIMAL(14, 2)) AS order_total,
    r.`order`.currency AS order_currency,
    r.`order`.item_count AS item_count_text,
    $AS_WHOLE(r.`order`.item_count) AS order_item_count,
    r.node_id AS ingest_node,
    -- The item list's JSON text (Spark prints a JSON string's value unquoted: one that looks
    -- like an array is told apart here, where it is rare, and stays no array of objects).
    CASE WHEN r.items IS NOT NULL AND line RLIKE '"items"\\s*:\\s*"'
            AND schema_of_variant(variant_get(try_parse_json(line), '$.items')) = 'STRING'
        THEN '"a JSON string"'
        ELSE r.items
    END AS items_text,
    -- Every other field of the contract that is a column of clickstream_events as it is.
    $PASSTHROUGH
FROM (
    SELECT *, r._corrupt IS NULL AND startswith(ltrim(line), '{') AS is_object
    FROM lake_records
);

-- name: distinct_items
-- Each distinct item list, checked and made canonical by the DuckDB engine's macros
-- (etl/spark/lookups.py) into `item_checks`.
SELECT DISTINCT items_text FROM typed WHERE items_text IS NOT NULL;

-- name: with_items
-- Each line with its item list's answer; only the lines that carry a list are joined (and
-- shuffled for it), the others pass by.
SELECT t.*, i.items_json, i.items_reason
FROM (SELECT * FROM typed WHERE items_text IS NOT NULL) AS t
LEFT JOIN item_checks AS i ON i.items_text = t.items_text
UNION ALL
SELECT *, CAST(NULL AS STRING) AS items_json, CAST(NULL AS STRING) AS items_reason
FROM typed WHERE items_text IS NULL;

-- name: checked
SELECT *,
    CASE
        WHEN fault IS NOT NULL THEN fault
        WHEN NOT is_json THEN 'unparseable JSON line'
        WHEN NOT is_object THEN 'line is not a JSON object'
        WHEN instr(line, concat(char(92), 'u0000')) > 0 OR instr(line, char(0)) > 0
            THEN 'contains a NUL character'
        WHEN name_text IS NULL THEN 'missing event_name'
        WHEN NOT name_text RLIKE '^[a-z][a-z0-9_]{0,63}\\z'
            THEN 'event_name breaks the naming rule'
        WHEN event_id IS NULL THEN 'event_id is not a UUID'
        WHEN event_timestamp_text IS NULL THEN 'missing event_timestamp'
        WHEN event_timestamp IS NULL THEN 'event_timestamp is not a timestamp'
        WHEN received_at_text IS NULL THEN 'missing received_at'
        WHEN received_at IS NULL THEN 'received_at is not a timestamp'
        WHEN client_timestamp_text IS NOT NULL AND client_timestamp IS NULL
            THEN 'client_timestamp is not a timestamp'
        WHEN is_first_visit_text IS NOT NULL AND is_first_visit IS NULL
            THEN 'is_first_visit is not a boolean'
        WHEN price_text IS NOT NULL AND context_product_price IS NULL
            THEN 'product.price is not a number in range'
        WHEN discount_text IS NOT NULL AND context_product_discount_price IS NULL
            THEN 'product.discount_price is not a number in range'
        WHEN quantity_text IS NOT NULL AND context_product_quantity IS NULL
            THEN 'product.quantity is not a whole number'
        WHEN total_text IS NOT NULL AND order_total IS NULL
            THEN 'order.total is not a number in range'
        WHEN item_count_text IS NOT NULL AND order_item_count IS NULL
            THEN 'order.item_count is not a whole number'
        ELSE items_reason
    END AS reason
FROM with_items;

-- name: records
-- One row per received line with its payload hash, lateness and, in one window pass, its rank
-- among the valid lines of its event_id: by batch (the DuckDB engine decides batch by batch,
-- in key order), then receipt, file, request and line. NULLs sort last, as in DuckDB.
SELECT *,
    CASE WHEN reason IS NULL THEN row_number() OVER same_id END AS id_rank,
    CASE WHEN reason IS NULL THEN first_value(payload_hash) OVER same_id END AS first_hash
FROM (
    SELECT *, $PAYLOAD_HASH AS payload_hash,
        coalesce(event_timestamp < hour_start - INTERVAL 1 HOUR, false) AS is_late,
        reason IS NULL AS valid
    FROM checked
)
WINDOW same_id AS (PARTITION BY valid, event_id ORDER BY batch_no, received_at NULLS LAST,
    source_file NULLS LAST, request_id NULLS LAST, line_number);

-- name: candidate_ids
SELECT event_id, $TIME_TEXT(event_timestamp) AS event_timestamp, source_file,
    payload_hash
FROM records WHERE id_rank = 1;

-- name: final
-- Every line's outcome once the warehouse said which candidate ids it holds (`known`).
SELECT r.*,
    CASE
        WHEN r.reason IS NOT NULL THEN 'rejected'
        WHEN r.id_rank > 1 AND r.payload_hash = r.first_hash THEN 'duplicate'
        WHEN r.id_rank > 1 THEN 'conflict'
        WHEN k.event_id IS NULL THEN 'loaded'
        WHEN k.same_payload THEN 'duplicate'
        ELSE 'conflict'
    END AS outcome
FROM records AS r
LEFT JOIN known AS k ON r.id_rank = 1 AND k.event_id = r.event_id;

-- name: summary
-- The run's counts in one pass: per file, rejection reason and day of the loaded rows (the
-- driver adds them up into the file ledgers, the reasons and the days to derive).
SELECT file_no,
    CASE WHEN outcome = 'rejected' THEN reason END AS reason,
    CASE WHEN outcome = 'loaded' THEN to_date(event_timestamp) END AS day,
    count(*) AS received,
    count_if(outcome = 'loaded') AS loaded,
    count_if(outcome = 'duplicate') AS duplicates,
    count_if(outcome = 'conflict') AS conflicts,
    count_if(outcome = 'rejected') AS rejected,
    count_if(outcome = 'loaded' AND is_late) AS late,
    coalesce(sum(CASE WHEN outcome = 'loaded' THEN json_array_length(items_json) END), 0)
        AS item_lines
FROM final GROUP BY 1, 2, 3;

-- name: quarantined
-- Rejected lines and conflicting ones, each with its lake line (every line here has its text).
SELECT source_file, CAST(line_number AS STRING) AS line_number,
    CASE outcome WHEN 'rejected' THEN reason
        ELSE 'conflict: event_id already stored with a different payload' END AS reason,
    left(replace(line, char(0), ''), 65536) AS raw,
    CASE outcome WHEN 'rejected' THEN 'rejected' ELSE 'conflict' END AS kind,
    CASE outcome WHEN 'conflict' THEN event_id END AS event_id
FROM final WHERE outcome IN ('rejected', 'conflict');

-- name: distinct_agents
-- Each distinct user agent of the loaded rows, parsed once by the DuckDB engine's library and
-- bot list (etl/spark/lookups.py) into `agents`.
SELECT DISTINCT user_agent FROM final WHERE outcome = 'loaded';

-- name: distinct_landings
-- Each distinct (page_url, referrer) of the loaded rows, parsed once by the DuckDB engine's
-- acquisition.sql under the run's channel rules (etl/spark/lookups.py) into `landings`.
SELECT DISTINCT page_url, referrer FROM final WHERE outcome = 'loaded';

-- name: loaded_rows
-- The rows to insert, typed: the staged `loaded` rows and the sessions (sql/sessions.sql)
-- read them.
SELECT f.*, a.device_type, a.browser, a.os, coalesce(a.is_bot, false) AS is_bot,
    $LANDING_COLUMNS,
    CAST($RUN_ID AS BIGINT) AS etl_run_id
FROM final AS f
LEFT JOIN agents AS a ON a.user_agent <=> f.user_agent
LEFT JOIN landings AS v ON v.page_url <=> f.page_url AND v.referrer <=> f.referrer
WHERE f.outcome = 'loaded';

-- name: loaded
-- The rows to insert, every column as PostgreSQL reads it from text ($EVENT_COLUMNS).
SELECT $EVENT_COLUMNS FROM loaded_rows;

-- name: items
-- One row per line of the loaded rows' canonical items, numbered from 1 in list order
-- ($ITEM_COLUMNS as PostgreSQL reads them from text).
SELECT $ITEM_COLUMNS FROM (
    SELECT event_id, event_timestamp, event_name, order_id, p.pos + 1 AS line, $ITEM_FIELDS
    FROM final
    LATERAL VIEW posexplode(from_json(items_json, '$ITEM_TYPE')) p AS pos, i
    WHERE outcome = 'loaded' AND items_json IS NOT NULL
);
