"""What users register: sites (read by the ingest), goals (read by the derive), dashboard
accounts with their one-time sign-in links, and the JSON API's tokens."""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.model import table

# Registered sites: the ingest API reads them (cached) to check `site_id`, write keys and CORS.
SITES: Final = table(
    "sites",
    "site_id text not null",
    "name text not null",
    "origins text[] not null",
    "write_key_sha256 text",
    "created_at timestamptz not null",
    key=("site_id",),
)
# Goal definitions (0093), managed with `clickstream goals` (`warehouse/goals.py`).
GOALS: Final = table(
    "goals",
    "name text not null",
    "event_name text not null",
    "path text",
    "path_match text",
    "property_key text",
    "property_value text",
    "created_at timestamptz not null",
    key=("name",),
)
# Saved custom funnels (0096), managed with `clickstream funnels` and from the dashboard
# (`warehouse/funnels.py`).
FUNNELS: Final = table(
    "funnels",
    "name text not null",
    "steps jsonb not null",
    "window_kind text not null",
    "window_days integer",
    "site_id text",
    "created_at timestamptz not null",
    key=("name",),
)

DASHBOARD_USERS: Final = table(
    "dashboard_users",
    "user_id bigint not null",
    "login text not null",
    "role text not null",
    "sites text[]",
    "password_hash text",
    "sessions_since timestamptz not null",
    "created_at timestamptz not null",
    key=("user_id",),
)
DASHBOARD_SIGN_IN_LINKS: Final = table(
    "dashboard_sign_in_links",
    "token_hash text not null",
    "user_id bigint not null",
    "created_at timestamptz not null",
    "expires_at timestamptz not null",
    "used_at timestamptz",
    key=("token_hash",),
)
# Tokens of the dashboard's JSON API (0097): the SHA-256 of each, never the token itself;
# `sites` NULL means every site (`dashboard/api/tokens.py`).
API_TOKENS: Final = table(
    "api_tokens",
    "name text not null",
    "token_sha256 text not null",
    "sites text[]",
    "created_at timestamptz not null",
    key=("name",),
)
