-- Alarms raise incidents; each incident sends one "opened" and one "resolved" notification
-- per channel, retried until delivered.

CREATE TABLE ops_incidents (
    incident_id  bigserial   PRIMARY KEY,
    alarm        text        NOT NULL,
    summary      text        NOT NULL,
    detail       jsonb,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
-- At most one open incident per alarm.
CREATE UNIQUE INDEX ops_incidents_one_open ON ops_incidents (alarm) WHERE resolved_at IS NULL;

CREATE TABLE ops_notifications (
    notification_id bigserial   PRIMARY KEY,
    incident_id     bigint      NOT NULL REFERENCES ops_incidents (incident_id),
    kind            text        NOT NULL CHECK (kind IN ('opened', 'resolved')),
    channel_key     text        NOT NULL,
    channel_label   text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'delivered')),
    attempts        integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    last_error      text,
    UNIQUE (incident_id, kind, channel_key)
);
CREATE INDEX ops_notifications_pending ON ops_notifications (next_attempt_at)
    WHERE status = 'pending';
