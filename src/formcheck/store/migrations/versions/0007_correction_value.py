"""A physio's corrected value for a rep's value marked wrong (NULL: only marked wrong).

Revision ID: 0007_correction_value
Revises: 0006_sign_in_throttle
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_correction_value"
down_revision = "0006_sign_in_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rep_corrections") as b:
        b.add_column(sa.Column("value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rep_corrections") as b:
        b.drop_column("value")
