"""The console's tables (SQLAlchemy 2.x) and the engine/session factory.

The schema is created and upgraded by the Alembic migrations in ``migrations/`` (run at
start-up by :func:`classroom.console.migrate.upgrade`); these classes are its Python face and
must match the latest migration (a test compares them).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random UUID string (primary keys are strings so ids never leak row counts)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Declarative base of every console table."""


class Teacher(Base):
    """A teacher account; ``password_hash`` is argon2id."""

    __tablename__ = "teachers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """A logged-in browser; the cookie carries a secret whose SHA-256 is ``id``."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchoolClass(Base):
    """A class (a group of learners) owned by one teacher."""

    __tablename__ = "classes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Learner(Base):
    """A learner on a class roster; ``settings`` are comfort/accessibility settings."""

    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("class_id", "external_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClassSession(Base):
    """One lesson taught to one class: an assignment, then a live session, then a record."""

    __tablename__ = "class_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="auto")
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | ended
    pairing_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    pairing_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Station(Base):
    """A paired student PC, scoped to one class session; ``token_hash`` is SHA-256."""

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_session_id: Mapped[str] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    learner_id: Mapped[str | None] = mapped_column(
        ForeignKey("learners.id", ondelete="SET NULL"), nullable=True
    )
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Command(Base):
    """A command for the stations of a class session (``station_id`` None: all of them)."""

    __tablename__ = "commands"
    __table_args__ = (UniqueConstraint("class_session_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_session_id: Mapped[str] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True
    )
    station_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Statement(Base):
    """One xAPI statement, stored once by its id (the key makes ingest idempotent)."""

    __tablename__ = "statements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_session_id: Mapped[str] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True
    )
    station_id: Mapped[str] = mapped_column(String(36))
    learner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    received: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    body: Mapped[str] = mapped_column(Text)


class LrsOutbox(Base):
    """A statement waiting to be forwarded to the external LRS (deleted once delivered)."""

    __tablename__ = "lrs_outbox"
    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enqueued: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine; SQLite gets WAL, fsync per commit and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Any]:
    """Sessions that keep loaded attributes after commit (pages render after committing)."""
    return sessionmaker(engine, expire_on_commit=False)
