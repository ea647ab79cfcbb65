-- Lake lines to typed, validated, flattened records (docs/contracts.md).
-- Input: the typed relation `lake_records` (from `lines.sql` or read directly by DuckDB, see
-- transform.py), raw_files and file_faults(file_no, reason). Output: `records`, one row per received line, with the
-- warehouse columns, a rejection `reason` (NULL when valid), `payload_hash`, `is_late`, and
-- the in-batch rank of the line among lines sharing its event_id.

-- A JSON number (or numeric string) that is a whole number fitting an INTEGER, else NULL.
CREATE OR REPLACE MACRO as_whole(t) AS CASE
    WHEN TRY_CAST(t AS DOUBLE) = round(TRY_CAST(t AS DOUBLE)) THEN TRY_CAST(TRY_CAST(t AS DOUBLE) AS INTEGER)
END;

-- A timestamp the warehouse can store and a day can be derived for: finite, in the years 1
-- to 9999 (the four-digit years of ISO 8601, which the ingest API accepts), else NULL. DuckDB
-- reads "infinity" and years beyond PostgreSQL's range as timestamps.
CREATE OR REPLACE MACRO as_time(t) AS CASE
    WHEN TRY_CAST(t AS TIMESTAMPTZ) >= TIMESTAMPTZ '0001-01-01 00:00:00+00'
        AND TRY_CAST(t AS TIMESTAMPTZ) < TIMESTAMPTZ '10000-01-01 00:00:00+00'
    THEN TRY_CAST(t AS TIMESTAMPTZ)
END;

-- An event's `items` (JSON) as sent: a list of structs of text, or NULL when it is no array of
-- objects. The storefront's camelCase `discountPrice` is read beside `discount_price`.
CREATE OR REPLACE MACRO raw_items(j) AS CASE WHEN json_type(j) = 'ARRAY' THEN try(from_json(j,
    '[{"id": "VARCHAR", "name": "VARCHAR", "category": "VARCHAR", "brand": "VARCHAR",
       "variant": "VARCHAR", "price": "VARCHAR", "discount_price": "VARCHAR",
       "discountPrice": "VARCHAR", "quantity": "VARCHAR"}]')) END;

-- The lines in canonical names and types (JSON), as `event_items` stores them.
CREATE OR REPLACE MACRO canonical_items(raw) AS CASE WHEN raw IS NOT NULL THEN
    to_json(list_transform(raw, lambda i: {'id': i.id, 'name': i.name, 'category': i.category,
        'brand': i.brand, 'variant': i.variant, 'price': TRY_CAST(i.price AS DECIMAL(14, 2)),
        'discount_price': TRY_CAST(coalesce(i.discount_price, i.discountPrice) AS DECIMAL(14, 2)),
        'quantity': as_whole(i.quantity)})) END;

-- Canonical items (JSON) as typed lines, for the rows of `event_items`.
CREATE OR REPLACE MACRO typed_items(j) AS from_json(j, '[{"id": "VARCHAR", "name": "VARCHAR",
    "category": "VARCHAR", "brand": "VARCHAR", "variant": "VARCHAR",
    "price": "DECIMAL(14, 2)", "discount_price": "DECIMAL(14, 2)", "quantity": "INTEGER"}]');

-- Why an event's `items` (its JSON text and `raw_items`) cannot be loaded, or NULL when
-- they can (or none were sent). Shared with the Spark engine (etl/spark/lookups.py).
CREATE OR REPLACE MACRO items_problem(items_text, items_raw) AS CASE
    WHEN items_text IS NULL THEN NULL
    WHEN items_raw IS NULL THEN 'items is not an array of objects'
    WHEN list_bool_or(list_transform(items_raw, lambda i: i IS NULL OR i.id IS NULL))
        THEN 'items[].id is missing'
    WHEN list_bool_or(list_transform(items_raw, lambda i: i.price IS NOT NULL
            AND TRY_CAST(i.price AS DECIMAL(14, 2)) IS NULL))
        THEN 'items[].price is not a number in range'
    WHEN list_bool_or(list_transform(items_raw,
            lambda i: coalesce(i.discount_price, i.discountPrice) IS NOT NULL
            AND TRY_CAST(coalesce(i.discount_price, i.discountPrice) AS DECIMAL(14, 2)) IS NULL))
        THEN 'items[].discount_price is not a number in range'
    WHEN list_bool_or(list_transform(items_raw, lambda i: i.quantity IS NOT NULL
            AND as_whole(i.quantity) IS NULL))
        THEN 'items[].quantity is not a whole number'
END;

CREATE OR REPLACE TEMP VIEW typed AS
SELECT file_no, source_file, hour_start, line_number, line, is_json, is_object,
    coalesce(event_name, eventName) AS name_text,
    CASE coalesce(event_name, eventName)
        WHEN 'add_to_cart_click' THEN 'add_to_cart'
        WHEN 'remove_from_cart_click' THEN 'remove_from_cart'
        WHEN 'checkout_start' THEN 'begin_checkout'
        WHEN 'checkout_complete' THEN 'purchase'
        WHEN 'login_success' THEN 'login'
        ELSE coalesce(event_name, eventName)
    END AS event_name,
    event_id AS event_id_text,
    TRY_CAST(event_id AS UUID) AS event_id,
    event_timestamp AS event_timestamp_text,
    as_time(event_timestamp) AS event_timestamp,
    received_at AS received_at_text,
    as_time(received_at) AS received_at,
    client_timestamp AS client_timestamp_text,
    as_time(client_timestamp) AS client_timestamp,
    coalesce(user_id, userId) AS user_id,
    CASE lower(coalesce(user_login_state, userLoginState))
        WHEN 'anonymous' THEN 'guest'
        ELSE coalesce(user_login_state, userLoginState)
    END AS user_login_state,
    identity_source,
    coalesce(client_id, clientId) AS client_id,
    coalesce(session_id, sessionId) AS session_id,
    coalesce(is_first_visit, isFirstVisit) AS is_first_visit_text,
    TRY_CAST(coalesce(is_first_visit, isFirstVisit) AS BOOLEAN) AS is_first_visit,
    product.id AS context_product_id,
    product.name AS context_product_name,
    product.category AS context_product_category,
    product.brand AS context_product_brand,
    product.price AS price_text,
    TRY_CAST(product.price AS DECIMAL(14, 2)) AS context_product_price,
    coalesce(product.discount_price, product.discountPrice) AS discount_text,
    TRY_CAST(coalesce(product.discount_price, product.discountPrice) AS DECIMAL(14, 2))
        AS context_product_discount_price,
    coalesce(product.url_path, product.urlPath) AS context_product_url_path,
    coalesce(page_url, pageUrl) AS page_url,
    referrer,
    product.quantity AS quantity_text,
    as_whole(product.quantity) AS context_product_quantity,
    "order".id AS order_id,
    "order".number AS order_number,
    "order".total AS total_text,
    TRY_CAST("order".total AS DECIMAL(14, 2)) AS order_total,
    "order".currency AS order_currency,
    "order".item_count AS item_count_text,
    as_whole("order".item_count) AS order_item_count,
    user_agent,
    client_ip,
    properties,
    request_id,
    node_id AS ingest_node,
    country,
    region,
    -- events sent without a site (and lake records older than sites) are the default site's
    coalesce(site_id, 'default') AS site_id,
    CASE WHEN json_type(items) <> 'NULL' THEN items END AS items_text,
    raw_items(items) AS items_raw
FROM lake_records;

CREATE OR REPLACE TEMP VIEW checked AS
SELECT *, canonical_items(items_raw) AS items_json,
    CASE
        WHEN NOT is_json THEN 'unparseable JSON line'
        WHEN NOT is_object THEN 'line is not a JSON object'
        WHEN contains(line, '\u0000') OR contains(line, chr(0)) THEN 'contains a NUL character'
        WHEN name_text IS NULL THEN 'missing event_name'
        WHEN NOT regexp_full_match(name_text, '[a-z][a-z0-9_]{0,63}')
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
        ELSE items_problem(items_text, items_raw)
    END AS reason
FROM typed;

-- One row per received line. The payload hash covers what the client sent (server-added
-- fields such as received_at, request_id and node_id differ between retries of one event).
CREATE OR REPLACE TEMP TABLE records AS
-- The raw texts only served the checks above: leaving them out makes the table a third
-- narrower.
SELECT * EXCLUDE (line, is_json, is_object, name_text, event_id_text, event_timestamp_text,
        received_at_text, client_timestamp_text, is_first_visit_text, price_text,
        discount_text, quantity_text, total_text, item_count_text, items_text, items_raw,
        items_json),
    -- Only rejected lines keep their text here; conflicts fetch theirs from raw_lines.
    CASE WHEN reason IS NOT NULL THEN line END AS line,
    -- The one definition of the hash, for both engines: clickstream/etl/payload.py.
    $PAYLOAD_HASH AS payload_hash,
    coalesce(event_timestamp < hour_start - INTERVAL 1 HOUR, false) AS is_late,
    items_json AS items
FROM checked;

-- Each distinct user agent is parsed once (a batch holds few distinct agents).
CREATE OR REPLACE TEMP TABLE agents AS
SELECT user_agent, ua_device_type(user_agent) AS device_type, ua_browser(user_agent) AS browser,
    ua_os(user_agent) AS os, ua_is_bot(user_agent) AS is_bot
FROM (SELECT DISTINCT user_agent FROM records);

INSERT INTO records BY NAME
SELECT f.file_no, r.source_file, 0 AS line_number, '' AS line, f.reason, false AS is_late
FROM file_faults AS f JOIN raw_files AS r USING (file_no);

-- Repeats of an event_id inside the batch, ranked by receipt: the first is the candidate.
-- A line is keyed by its row in `records` (lines read directly carry no number). Row ids are
-- final because each statement commits on its own (inside an explicit transaction DuckDB
-- numbers new rows provisionally) and nothing is ever deleted from `records`.
-- Only the lines of repeated ids go through the window (sorting every line cost 0.08 s of CPU
-- per 125,000-line batch, against 0.015 s this way): a line whose id is alone in the batch is
-- its id's first, with its own hash. (A valid line always has an event_id: no NULL here.)
CREATE OR REPLACE TEMP TABLE ranks AS
WITH repeated AS (
    SELECT event_id FROM records WHERE reason IS NULL GROUP BY event_id HAVING count(*) > 1
)
SELECT rowid AS row_key,
    row_number() OVER same_id AS id_rank,
    first_value(payload_hash) OVER same_id AS first_hash
FROM records
WHERE reason IS NULL AND event_id IN (SELECT event_id FROM repeated)
WINDOW same_id AS (PARTITION BY event_id ORDER BY received_at, source_file, request_id,
    line_number)
UNION ALL
SELECT rowid AS row_key, 1 AS id_rank, payload_hash AS first_hash
FROM records
WHERE reason IS NULL AND event_id NOT IN (SELECT event_id FROM repeated);
