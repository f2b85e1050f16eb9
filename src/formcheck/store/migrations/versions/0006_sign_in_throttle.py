"""Failed sign-ins, kept for throttling guessing across browser sessions (auth.sign_in): the
account name tried, the address it came from, and when. Rows older than the throttle window are
deleted as new ones come in; a successful sign-in deletes its account's rows.

Revision ID: 0006_sign_in_throttle
Revises: 0005_runs
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_sign_in_throttle"
down_revision = "0005_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_at"), "sign_in_failures", ["at"])
    op.create_index(op.f("ix_sign_in_failures_name"), "sign_in_failures", ["name"])
    op.create_index(op.f("ix_sign_in_failures_address"), "sign_in_failures", ["address"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_failures_address"), "sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_name"), "sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_at"), "sign_in_failures")
    op.drop_table("sign_in_failures")
