"""Acts and the documents that are their language versions (kb.acts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acts",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32)),
        sa.Column("issuer", sa.Text),
        sa.Column("issuer_id", sa.String(128)),
        sa.Column("issuer_lc", sa.Text),
        sa.Column("date", sa.Date),
        sa.Column("number", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("repealed_on", sa.Date),
        sa.Column("edition_date", sa.Date),
        sa.Column("title_sort", sa.Text),
        sa.Column("title_lc", sa.Text),
        sa.Column("built_from", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_acts_kind", "acts", ["kind"])
    op.create_index("ix_acts_date", "acts", ["date"])
    op.create_index("ix_acts_issuer_id", "acts", ["issuer_id"])
    op.create_index("ix_acts_status", "acts", ["status"])

    op.create_table(
        "document_acts",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("act_id", sa.String(128), sa.ForeignKey("acts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("part", sa.Text),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("requisites", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_document_acts_act_id", "document_acts", ["act_id"])


def downgrade() -> None:
    op.drop_table("document_acts")
    op.drop_table("acts")
