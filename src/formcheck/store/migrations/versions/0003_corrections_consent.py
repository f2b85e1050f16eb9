"""A physio's corrections of reps (kept apart from the analysis, which they never change) and
the video consent wording stored with a session.

Revision ID: 0003_corrections_consent
Revises: 0002_accounts_audit
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_corrections_consent"
down_revision = "0002_accounts_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rep", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("metric", sa.String(40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author", sa.String(160), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_rep_corrections_session_id_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_corrections")),
    )
    op.create_index(op.f("ix_rep_corrections_session_id"), "rep_corrections", ["session_id"])
    with op.batch_alter_table("sessions") as b:
        b.add_column(sa.Column("video_consent", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as b:
        b.drop_column("video_consent")
    op.drop_index(op.f("ix_rep_corrections_session_id"), "rep_corrections")
    op.drop_table("rep_corrections")
