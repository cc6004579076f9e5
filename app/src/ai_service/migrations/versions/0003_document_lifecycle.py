"""documents.status gains `pending` (upload in progress) and `deleting` (DELETE in progress)

Expand-only: the previous release never writes these values, and its reads of a pending or
deleting row are as rare as an upload or DELETE in flight during the rollout.

Revision ID: 0003
Revises: 0001
"""

from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'processing', 'indexed', 'failed')"
NEW = "status IN ('pending', 'queued', 'processing', 'indexed', 'failed', 'deleting')"


def upgrade() -> None:
    op.drop_constraint("documents_status", "documents", type_="check")
    op.create_check_constraint("documents_status", "documents", NEW)


def downgrade() -> None:
    op.execute("DELETE FROM documents WHERE status = 'pending'")
    op.execute("UPDATE documents SET status = 'failed', error = 'deletion interrupted' WHERE status = 'deleting'")
    op.drop_constraint("documents_status", "documents", type_="check")
    op.create_check_constraint("documents_status", "documents", OLD)
