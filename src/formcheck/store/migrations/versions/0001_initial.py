"""Clients, sessions, per-rep metrics and session files.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("profile", sa.String(40), nullable=False),
        sa.Column("threshold_overrides", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("label", name=op.f("uq_clients_label")),
        sa.UniqueConstraint("uid", name=op.f("uq_clients_uid")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("clip_name", sa.String(255), nullable=False),
        sa.Column("clip_sha256", sa.String(64), nullable=True),
        sa.Column("profile", sa.String(40), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("view_requested", sa.String(10), nullable=False),
        sa.Column("view", sa.String(10), nullable=False),
        sa.Column("rep_count", sa.Integer(), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("physio_note", sa.Text(), nullable=False),
        sa.Column("formcheck_version", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE",
                                name=op.f("fk_sessions_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("uid", name=op.f("uq_sessions_uid")),
    )
    op.create_index(op.f("ix_sessions_client_id"), "sessions", ["client_id"])
    op.create_index(op.f("ix_sessions_recorded_at"), "sessions", ["recorded_at"])
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rep", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("bottom_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("view", sa.String(10), nullable=False),
        sa.Column("leg", sa.String(10), nullable=False),
        sa.Column("depth", sa.String(20), nullable=False),
        *[sa.Column(c, sa.Float(), nullable=True) for c in (
            "thigh_angle_deg", "knee_flexion_deg", "hip_height_ratio", "knee_over_toe_px",
            "knee_over_toe_ratio", "shin_angle_deg", "trunk_lean_deg", "fppa_deg")],
        sa.Column("knee_past_toes", sa.Boolean(), nullable=True),
        sa.Column("knees_cave_in", sa.Boolean(), nullable=True),
        *[sa.Column(c, sa.Float(), nullable=True) for c in ("descent_s", "pause_s", "ascent_s")],
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_reps_session_id_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reps")),
        sa.UniqueConstraint("session_id", "rep", name="uq_reps_session_rep"),
    )
    op.create_index(op.f("ix_reps_session_id"), "reps", ["session_id"])
    op.create_table(
        "session_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(80), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_session_files_session_id_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_files")),
        sa.UniqueConstraint("session_id", "kind", name="uq_session_files_session_kind"),
    )
    op.create_index(op.f("ix_session_files_session_id"), "session_files", ["session_id"])


def downgrade() -> None:
    op.drop_table("session_files")
    op.drop_table("reps")
    op.drop_table("sessions")
    op.drop_table("clients")
