"""search (PostgreSQL only): compress the documents' tsvectors with lz4

pglz stores a search_documents.tokens tsvector uncompressed (it gives up below 25 %
savings): 3.2 KB a document in TOAST. lz4 stores it in 2.9 KB (TOAST about a fifth
smaller, bench/README.md, 2026-12-04) and decompresses faster when ranking. Rows keep
their compression until rewritten: `flask search rebuild` rewrites them all. A server
built without lz4 keeps pglz.

Revision ID: c3d5e7f9a1b2
Revises: 4e3572791ee3
Create Date: 2026-12-04 16:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d5e7f9a1b2'
down_revision = '4e3572791ee3'
branch_labels = None
depends_on = None


def _compression(method):
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DO $$ BEGIN "
        f"ALTER TABLE search_documents ALTER COLUMN tokens SET COMPRESSION {method}; "
        "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; "
        "END $$"
    )


def upgrade():
    _compression("lz4")


def downgrade():
    _compression("pglz")
