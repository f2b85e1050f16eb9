"""What the user said about the person filmed, kept with a session so that the record shows it
again as it was saved: whether they squat onto a box or chair (null for sessions saved before:
the profile's default, thresholds.BOX_PROFILES) and their height or shin length in cm (null: not
given, box heights in shin lengths).

Revision ID: 0004_session_box_body
Revises: 0003_corrections_consent
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_session_box_body"
down_revision = "0003_corrections_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as b:
        b.add_column(sa.Column("box", sa.Boolean(), nullable=True))
        b.add_column(sa.Column("height_cm", sa.Float(), nullable=True))
        b.add_column(sa.Column("shin_cm", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as b:
        b.drop_column("shin_cm")
        b.drop_column("height_cm")
        b.drop_column("box")
