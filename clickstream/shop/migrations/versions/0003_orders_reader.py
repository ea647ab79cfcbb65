"""Orders against events: the shop reader role, where the server has it, may read `orders`.

The role (`clickstream_shop_reader`, made with the shop database by `clickstream up` or
`db migrate`) reads nothing else of the shop. On a first start the shop migrates after the
role was made, so the grant is given here; `ensure_shop_database` gives it again later.
"""

from __future__ import annotations

from alembic import op

revision = "0003_orders_reader"
down_revision = "0002_refresh_tokens"

GRANT = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_shop_reader') THEN
        GRANT SELECT ON orders TO clickstream_shop_reader;
    END IF;
END
$$
"""
REVOKE = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_shop_reader') THEN
        REVOKE SELECT ON orders FROM clickstream_shop_reader;
    END IF;
END
$$
"""


def upgrade() -> None:
    """Grant the reader `SELECT` on orders."""
    op.execute(GRANT)


def downgrade() -> None:
    """Take it back."""
    op.execute(REVOKE)
