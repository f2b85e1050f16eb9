"""Runs imported from running watches (FIT, GPX, TCX): one row per activity, per client (NULL:
the local user's own), unique by client, device and start instant.

Revision ID: 0005_runs
Revises: 0004_session_box_body
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_runs"
down_revision = "0004_session_box_body"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("start", sa.String(length=40), nullable=False),
        sa.Column("sport", sa.String(length=40), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("moving_s", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("pace_s_per_km", sa.Float(), nullable=True),
        sa.Column("cadence_spm", sa.Float(), nullable=True),
        sa.Column("cadence_sd_spm", sa.Float(), nullable=True),
        sa.Column("step_length_m", sa.Float(), nullable=True),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE",
                                name="fk_runs_client_id_clients"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("client_id", "device", "start_utc",
                            name="uq_runs_client_device_start"),
    )
    op.create_index("ix_runs_client_id", "runs", ["client_id"])
    op.create_index("ix_runs_start_utc", "runs", ["start_utc"])


def downgrade() -> None:
    op.drop_index("ix_runs_start_utc", table_name="runs")
    op.drop_index("ix_runs_client_id", table_name="runs")
    op.drop_table("runs")
