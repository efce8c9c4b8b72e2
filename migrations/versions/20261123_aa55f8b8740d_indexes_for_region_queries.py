"""Indexes for region queries: a covering index on active memberships, and a
pattern-ops path index so PostgreSQL uses it for `path LIKE '/1/5/%'`.

Measured with bench/pages.py at 100,000 teachers (see README, Speed).

Revision ID: aa55f8b8740d
Revises: 520bf09b4d3a
Create Date: 2026-11-23

"""

from alembic import op

revision = "aa55f8b8740d"
down_revision = "520bf09b4d3a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memberships_space_state_user", ["space_id", "state", "user_id"], unique=False
        )
    # Same name and column; PostgreSQL gets varchar_pattern_ops (SQLite ignores it).
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_index("ix_spaces_path")
        batch_op.create_index(
            "ix_spaces_path", ["path"], unique=False, postgresql_ops={"path": "varchar_pattern_ops"}
        )


def downgrade():
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_index("ix_spaces_path")
        batch_op.create_index("ix_spaces_path", ["path"], unique=False)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_space_state_user")
