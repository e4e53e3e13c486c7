"""The first schema: teachers, sessions, classes, learners, class sessions, stations,
commands, statements and the LRS outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "teachers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "teacher_id",
            sa.String(36),
            sa.ForeignKey("teachers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.Column("expires", TZ, nullable=False),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "teacher_id",
            sa.String(36),
            sa.ForeignKey("teachers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "class_id",
            sa.String(36),
            sa.ForeignKey("classes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.UniqueConstraint("class_id", "external_id"),
    )
    op.create_table(
        "class_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "class_id",
            sa.String(36),
            sa.ForeignKey("classes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("lesson_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pairing_code", sa.String(6), nullable=True),
        sa.Column("pairing_expires", TZ, nullable=True),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.Column("ended", TZ, nullable=True),
    )
    op.create_index("ix_class_sessions_pairing_code", "class_sessions", ["pairing_code"])
    op.create_table(
        "stations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "class_session_id",
            sa.String(36),
            sa.ForeignKey("class_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column(
            "learner_id",
            sa.String(36),
            sa.ForeignKey("learners.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_index("ix_stations_class_session_id", "stations", ["class_session_id"])
    op.create_table(
        "commands",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "class_session_id",
            sa.String(36),
            sa.ForeignKey("class_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("station_id", sa.String(36), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("issued", TZ, nullable=False),
        sa.UniqueConstraint("class_session_id", "seq"),
    )
    op.create_index("ix_commands_class_session_id", "commands", ["class_session_id"])
    op.create_table(
        "statements",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "class_session_id",
            sa.String(36),
            sa.ForeignKey("class_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("station_id", sa.String(36), nullable=False),
        sa.Column("learner_id", sa.String(36), nullable=True),
        sa.Column("received", TZ, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_statements_class_session_id", "statements", ["class_session_id"])
    op.create_table(
        "lrs_outbox",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("enqueued", TZ, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "lrs_outbox",
        "statements",
        "commands",
        "stations",
        "class_sessions",
        "learners",
        "classes",
        "web_sessions",
        "teachers",
    ):
        op.drop_table(table)
