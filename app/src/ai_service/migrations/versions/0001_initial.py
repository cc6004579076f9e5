"""documents, chunks with pgvector embeddings and an HNSW index

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import context, op
from pgvector.sqlalchemy import Vector

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'indexed', 'failed')",
            name="documents_status",
        ),
    )
    op.create_index("documents_tenant_created", "documents", ["tenant", "created_at"])
    op.create_index("documents_status_updated", "documents", ["status", "updated_at"])
    op.create_table(
        "chunks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "document_id",
            sa.Uuid(as_uuid=False),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        # Width fixed per deployment; `ai-service reindex` changes it.
        sa.Column(
            "embedding",
            Vector(context.config.attributes["embedding_dim"]),
            nullable=False,
        ),
        sa.UniqueConstraint("document_id", "ordinal", name="chunks_document_ordinal"),
    )
    op.create_index("chunks_tenant", "chunks", ["tenant"])
    op.execute("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
