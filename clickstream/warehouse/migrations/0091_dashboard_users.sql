-- Who may use the dashboard: accounts with a role and the sites they may see, and one-time
-- sign-in links. Sessions are signed cookies, not rows: the dashboard's read-only role needs
-- to write nothing but the moment a link is used.

CREATE TABLE dashboard_users (
    user_id        bigserial   PRIMARY KEY,
    login          text        NOT NULL UNIQUE
                   CHECK (login = lower(login) AND length(login) BETWEEN 1 AND 254),
    role           text        NOT NULL CHECK (role IN ('viewer', 'admin')),
    sites          text[],     -- the site ids it may see; NULL means every site
    password_hash  text,       -- argon2id; NULL: signs in by link or OIDC only
    sessions_since timestamptz NOT NULL DEFAULT now(),  -- older sessions are void
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dashboard_sign_in_links (
    token_hash text        PRIMARY KEY,  -- SHA-256 of the link's secret, never the secret
    user_id    bigint      NOT NULL REFERENCES dashboard_users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- The one write the dashboard makes: marking a link used, so that it works once.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_dashboard') THEN
        GRANT UPDATE (used_at) ON dashboard_sign_in_links TO clickstream_dashboard;
    END IF;
END
$$;
