"""The document store, the obligation and entity registries, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("genre", sa.String(32), nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("number", sa.Text),
        sa.Column("issuer", sa.Text),
        sa.Column("blocks", sa.Integer, nullable=False),
        sa.Column("entities", sa.Integer, nullable=False),
        sa.Column("obligations", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_source", "documents", ["source"])
    op.create_index("ix_documents_lang_genre", "documents", ["lang", "genre"])

    op.create_table(
        "sources",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_sources_doc_id", "sources", ["doc_id"])

    op.create_table(
        "obligations",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Text),
        sa.Column("actor_lc", sa.Text),
        sa.Column("deadline_start", sa.Date),
        sa.Column("deadline_end", sa.Date),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_obligations_actor_id", "obligations", ["actor_id"])
    op.create_index("ix_obligations_lang", "obligations", ["lang"])

    op.create_table(
        "obligation_conventions",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("convention", sa.String(128), primary_key=True),
    )
    op.create_index("ix_obligation_conventions_convention", "obligation_conventions", ["convention"])

    op.create_table(
        "entity_mentions",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("entity_id", sa.String(128), primary_key=True),
        sa.Column("type", sa.String(32), primary_key=True),
        sa.Column("mentions", sa.Integer, nullable=False),
    )
    op.create_index("ix_entity_mentions_entity", "entity_mentions", ["entity_id"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("store_meta", "api_keys", "entity_mentions", "obligation_conventions", "obligations",
                  "sources", "documents"):
        op.drop_table(table)
