"""The obligation register as a tracking tool: deadlines as data, every actor id.

Adds to `obligations` the deadline's kind, the day a one-off deadline falls due and a recurring
deadline's rule; `obligation_actors` (every agency and role id of an obligation's actor) and
`obligation_due` (the days a recurring deadline falls due). Rows stored before are filled from
their JSON bodies: actor ids from `actor.id`/`ids`/`roles`, the due day from the deadline's ISO
value. Re-ingesting a document fills in what only the new extractor reads (roles, recurrence).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _due(deadline: dict | None) -> tuple[str | None, dt.date | None]:
    """(due_kind, due_date) of a stored deadline: the same reading as kb.models.Deadline's
    derived kind and kb.obligations.deadlines.due_date, kept here so the revision never changes."""
    if not deadline:
        return None, None
    kind = deadline.get("kind")
    value = deadline.get("value") or ""
    if kind is None:
        kind = ("recurring" if deadline.get("rrule") else "relative" if deadline.get("duration")
                else "interval" if "/" in value else "absolute" if value else "unparsed")
    if kind == "absolute":
        return kind, _date(deadline.get("date") or value)
    if kind == "interval":
        return kind, _date(deadline.get("end") or value.partition("/")[2])
    return kind, None


def upgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("due_kind", sa.String(16)))
        batch.add_column(sa.Column("due_date", sa.Date))
        batch.add_column(sa.Column("rrule", sa.Text))
    op.create_index("ix_obligations_due_date", "obligations", ["due_date"])
    op.create_table(
        "obligation_actors",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("actor_id", sa.String(128), primary_key=True),
    )
    op.create_index("ix_obligation_actors_actor_id", "obligation_actors", ["actor_id"])
    op.create_table(
        "obligation_due",
        sa.Column(
            "doc_id", sa.String(128), sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("due", sa.Date, primary_key=True),
    )
    op.create_index("ix_obligation_due_due", "obligation_due", ["due"])

    # fill the new columns of the rows already stored
    conn = op.get_bind()
    obligations = sa.table(
        "obligations", sa.column("doc_id", sa.String), sa.column("seq", sa.Integer), sa.column("body", sa.Text),
        sa.column("due_kind", sa.String), sa.column("due_date", sa.Date), sa.column("rrule", sa.Text),
    )
    actors = sa.table("obligation_actors", sa.column("doc_id", sa.String), sa.column("seq", sa.Integer),
                      sa.column("actor_id", sa.String))
    rows = conn.execute(sa.select(obligations.c.doc_id, obligations.c.seq, obligations.c.body)).all()
    for doc_id, seq, body in rows:
        try:
            ob = json.loads(body)
        except ValueError:
            continue
        kind, due = _due(ob.get("deadline"))
        conn.execute(
            sa.update(obligations)
            .where(obligations.c.doc_id == doc_id, obligations.c.seq == seq)
            .values(due_kind=kind, due_date=due, rrule=(ob.get("deadline") or {}).get("rrule"))
        )
        actor = ob.get("actor") or {}
        ids = list(actor.get("ids") or ([actor["id"]] if actor.get("id") else [])) + list(actor.get("roles") or [])
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i and len(i) <= 128]
        if ids:
            conn.execute(sa.insert(actors), [dict(doc_id=doc_id, seq=seq, actor_id=i) for i in ids])


def downgrade() -> None:
    op.drop_table("obligation_due")
    op.drop_table("obligation_actors")
    op.drop_index("ix_obligations_due_date", table_name="obligations")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("rrule")
        batch.drop_column("due_date")
        batch.drop_column("due_kind")
