-- The ETL ledger grows conflicts and late counts; the registry remembers each event's payload
-- hash so a repeat can be told apart from a conflict; quarantine keeps both conflict versions;
-- dirty days drive the derived tables; the scheduler's pause switch lives here.

ALTER TABLE etl_runs
    ADD COLUMN conflicts          bigint NOT NULL DEFAULT 0,
    ADD COLUMN late               bigint NOT NULL DEFAULT 0,
    ADD COLUMN rejected_by_reason jsonb  NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN days_derived       integer NOT NULL DEFAULT 0;
ALTER TABLE etl_runs DROP CONSTRAINT etl_runs_ledger_balances;
ALTER TABLE etl_runs ADD CONSTRAINT etl_runs_ledger_balances
    CHECK (status <> 'succeeded' OR received = loaded + duplicates + conflicts + rejected);

ALTER TABLE lake_manifest
    ADD COLUMN conflicts integer NOT NULL DEFAULT 0,
    ADD COLUMN late      integer NOT NULL DEFAULT 0;
ALTER TABLE lake_manifest ADD CONSTRAINT lake_manifest_ledger_balances
    CHECK (received = loaded + duplicates + conflicts + rejected);

-- md5 of the client-made part of the event (server-added fields excluded), as a uuid.
ALTER TABLE event_ids ADD COLUMN payload_hash uuid;

ALTER TABLE etl_quarantine
    ADD COLUMN kind         text NOT NULL DEFAULT 'rejected'
        CHECK (kind IN ('rejected', 'conflict')),
    ADD COLUMN event_id     uuid,
    ADD COLUMN kept_version jsonb;
CREATE INDEX etl_quarantine_event_idx ON etl_quarantine (event_id) WHERE event_id IS NOT NULL;

-- Days whose derived rows must be rebuilt; written with the load, cleared with the rebuild.
CREATE TABLE etl_dirty_days (
    day       date        PRIMARY KEY,
    marked_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scheduler_state (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    paused     boolean     NOT NULL DEFAULT false,
    reason     text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scheduler_state (singleton, paused) VALUES (true, false);
