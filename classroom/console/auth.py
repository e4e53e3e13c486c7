"""Teacher accounts (argon2id hashes), browser sessions and CSRF tokens, station tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from classroom.console.db import Station, Teacher, WebSession, new_id, utcnow

SESSION_COOKIE = "peripatos_console"
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8

_hasher = PasswordHasher()  # stateless; argon2id with the library's current defaults


class AuthError(ValueError):
    """A teacher account could not be made or used; the message says why."""


def sha256(secret: str) -> str:
    """Hex SHA-256 of a token: tokens are stored hashed, so a leaked database holds none."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_teacher(db: Session, name: str, password: str) -> Teacher:
    """Add a teacher account (committed by the caller).

    Raises:
        AuthError: The name is empty or taken, or the password is too short.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise AuthError("a teacher name needs 1 to 64 characters")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters")
    if db.scalar(select(Teacher).where(Teacher.name == name)) is not None:
        raise AuthError(f"there is already a teacher called {name!r}")
    teacher = Teacher(id=new_id(), name=name, password_hash=hash_password(password))
    db.add(teacher)
    return teacher


def authenticate(db: Session, name: str, password: str) -> Teacher | None:
    """The teacher with this name and password, or None."""
    teacher = db.scalar(select(Teacher).where(Teacher.name == name.strip()))
    if teacher is None:
        # hash anyway so a wrong name takes as long as a wrong password
        check_password(_DUMMY_HASH, password)
        return None
    return teacher if check_password(teacher.password_hash, password) else None


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def open_session(db: Session, teacher: Teacher) -> tuple[str, WebSession]:
    """A new browser session; returns the cookie secret and the row (committed by the caller)."""
    secret = secrets.token_urlsafe(32)
    row = WebSession(
        id=sha256(secret),
        teacher_id=teacher.id,
        csrf=secrets.token_urlsafe(32),
        expires=utcnow() + SESSION_LIFETIME,
    )
    db.add(row)
    return secret, row


def session_for(db: Session, secret: str | None) -> tuple[WebSession, Teacher] | None:
    """The live session and teacher behind a cookie secret, or None."""
    if not secret:
        return None
    row = db.get(WebSession, sha256(secret))
    if row is None:
        return None
    expires = row.expires if row.expires.tzinfo else row.expires.replace(tzinfo=utcnow().tzinfo)
    if expires < utcnow():
        db.delete(row)
        db.commit()
        return None
    teacher = db.get(Teacher, row.teacher_id)
    return (row, teacher) if teacher is not None else None


def csrf_ok(session: WebSession, token: str | None) -> bool:
    """Whether a form's or header's CSRF token is the session's (constant time)."""
    return bool(token) and hmac.compare_digest(session.csrf, token or "")


def station_for_token(db: Session, token: str | None) -> Station | None:
    """The unrevoked station a bearer token belongs to, or None."""
    if not token:
        return None
    station = db.scalar(select(Station).where(Station.token_hash == sha256(token)))
    if station is None or station.revoked:
        return None
    return station
