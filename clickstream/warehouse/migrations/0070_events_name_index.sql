-- No query reads raw events by name: the dashboards count events by name from the derived
-- tables, and the panels that do read `clickstream_events` go by time (the timestamp index)
-- or by identity source (the covering index of 0060). The (event_name, event_timestamp)
-- index only cost every load an index insertion per row, so it goes.

DROP INDEX IF EXISTS clickstream_events_name_idx;
