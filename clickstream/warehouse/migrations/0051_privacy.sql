-- One audit row per erasure request: what was erased, never whom (only a digest of the id).

CREATE TABLE privacy_erasures (
    erasure_id             bigserial   PRIMARY KEY,
    subject_kind           text        NOT NULL CHECK (subject_kind IN ('user_id', 'client_id')),
    subject_digest         text        NOT NULL,
    requested_at           timestamptz NOT NULL DEFAULT now(),
    finished_at            timestamptz,
    events_deleted         bigint      NOT NULL DEFAULT 0,
    quarantine_deleted     bigint      NOT NULL DEFAULT 0,
    days_rederived         integer     NOT NULL DEFAULT 0,
    lake_objects_rewritten integer     NOT NULL DEFAULT 0,
    lake_objects_deleted   integer     NOT NULL DEFAULT 0,
    lake_lines_removed     bigint      NOT NULL DEFAULT 0
);
