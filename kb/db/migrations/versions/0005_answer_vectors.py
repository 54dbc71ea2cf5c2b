"""The vectors of each document's answer candidates, in the database instead of local files.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_vectors",
        sa.Column("doc_id", sa.String(128), primary_key=True),
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("text_keys", sa.Text, nullable=False),
        sa.Column("vecs", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_vectors")
