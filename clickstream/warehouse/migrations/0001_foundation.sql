-- The foundation: raw events (the original design's 16 columns first), the lake-file
-- manifest, the ETL run ledger and quarantined records.

CREATE TABLE clickstream_events (
    event_id                        uuid        NOT NULL,
    event_timestamp                 timestamptz NOT NULL,
    event_name                      text        NOT NULL,
    user_id                         text,
    user_login_state                text,
    identity_source                 text,
    client_id                       text,
    session_id                      text,
    is_first_visit                  boolean,
    context_product_id              text,
    context_product_name            text,
    context_product_category        text,
    context_product_brand           text,
    context_product_price           numeric(14, 2),
    context_product_discount_price  numeric(14, 2),
    context_product_url_path        text,
    -- our own columns
    page_url                        text,
    referrer                        text,
    received_at                     timestamptz NOT NULL,
    client_timestamp                timestamptz,
    context_product_quantity        integer,
    order_id                        text,
    order_number                    text,
    order_total                     numeric(14, 2),
    order_currency                  text,
    order_item_count                integer,
    user_agent                      text,
    client_ip                       text,
    device_type                     text,
    browser                         text,
    os                              text,
    is_bot                          boolean     NOT NULL DEFAULT false,
    properties                      jsonb,
    request_id                      text,
    ingest_node                     text,
    source_file                     text        NOT NULL,
    etl_run_id                      bigint
) PARTITION BY RANGE (event_timestamp);

CREATE TABLE clickstream_events_default PARTITION OF clickstream_events DEFAULT;
CREATE INDEX clickstream_events_timestamp_idx ON clickstream_events (event_timestamp);
CREATE INDEX clickstream_events_name_idx ON clickstream_events (event_name, event_timestamp);

-- An event_id is stored at most once, whatever partition its timestamp puts it in.
CREATE TABLE event_ids (
    event_id        uuid        PRIMARY KEY,
    event_timestamp timestamptz NOT NULL,
    source_file     text        NOT NULL
);

CREATE TABLE etl_runs (
    run_id       bigserial   PRIMARY KEY,
    trigger      text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    files        integer     NOT NULL DEFAULT 0,
    received     bigint      NOT NULL DEFAULT 0,
    loaded       bigint      NOT NULL DEFAULT 0,
    duplicates   bigint      NOT NULL DEFAULT 0,
    rejected     bigint      NOT NULL DEFAULT 0,
    error        text,
    CONSTRAINT etl_runs_ledger_balances
        CHECK (status <> 'succeeded' OR received = loaded + duplicates + rejected)
);

CREATE TABLE lake_manifest (
    object_key   text        PRIMARY KEY,
    size_bytes   bigint      NOT NULL,
    run_id       bigint      NOT NULL REFERENCES etl_runs (run_id),
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    received     integer     NOT NULL,
    loaded       integer     NOT NULL,
    duplicates   integer     NOT NULL,
    rejected     integer     NOT NULL
);

CREATE TABLE etl_quarantine (
    quarantine_id  bigserial   PRIMARY KEY,
    run_id         bigint      NOT NULL REFERENCES etl_runs (run_id),
    source_file    text        NOT NULL,
    line_number    integer     NOT NULL,
    reason         text        NOT NULL,
    raw            text        NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etl_quarantine_run_idx ON etl_quarantine (run_id);
