-- Registered sites (docs/tracking.md): a property with an id, a name, the browser origins its
-- tracker posts from and, optionally, the SHA-256 of a write key (the key itself is never
-- stored). Events carry `site_id`; those stored before sites existed, and those that send
-- none, belong to the default site.

CREATE TABLE sites (
    site_id text PRIMARY KEY,
    name text NOT NULL,
    origins text[] NOT NULL DEFAULT '{}',
    write_key_sha256 text,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clickstream_events ADD COLUMN site_id text NOT NULL DEFAULT 'default';
