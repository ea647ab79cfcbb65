"""The user pool's refresh tokens (stored as hashes, rotated, revocable)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_refresh_tokens"
down_revision = "0001"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create `refresh_tokens`."""
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_index("refresh_tokens_family_idx", "refresh_tokens", ["family_id"])
    op.create_index("refresh_tokens_user_idx", "refresh_tokens", ["user_id"])
