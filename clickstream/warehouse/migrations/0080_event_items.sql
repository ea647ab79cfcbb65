-- Items: the lines of a cart, checkout or order an event carries (`items` in the event
-- contract), one row per line, partitioned by day on the event's time exactly as the events
-- are, and written by the ETL in the transaction that writes the events. The lines are stored
-- here only (not also as JSON in clickstream_events): the derive reads them back per day.

CREATE TABLE event_items (
    event_id        uuid        NOT NULL,
    event_timestamp timestamptz NOT NULL,
    event_name      text        NOT NULL,
    order_id        text,
    line            integer     NOT NULL,
    item_id         text        NOT NULL,
    name            text,
    category        text,
    brand           text,
    variant         text,
    price           numeric(14, 2),
    discount_price  numeric(14, 2),
    quantity        integer
) PARTITION BY RANGE (event_timestamp);

CREATE TABLE event_items_default PARTITION OF event_items DEFAULT;

-- Product roll-ups count cart adds in units too (a cart line may add several); `etl rebuild`
-- or a re-derive of a day fills it for days derived before.
ALTER TABLE product_daily ADD COLUMN cart_units integer NOT NULL DEFAULT 0;

-- Orders against events (`warehouse/reconciliation.py`) reads a period's purchases; only they
-- enter this index, so loads hardly pay for it.
CREATE INDEX clickstream_events_purchase_idx ON clickstream_events (event_timestamp)
    INCLUDE (event_id, order_id, order_total) WHERE event_name = 'purchase';
