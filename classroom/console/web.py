"""Browser-side guards: the logged-in teacher, CSRF checks, pre-login CSRF cookies."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request

from classroom.console.auth import SESSION_COOKIE, csrf_ok, session_for
from classroom.console.db import Teacher, WebSession
from classroom.console.state import console_of

#: the double-submit cookie that guards the login and first-run forms (no session yet)
PRE_CSRF_COOKIE = "peripatos_prelogin"


class NotLoggedIn(Exception):
    """No teacher session: pages redirect to the login form, other requests get 401."""


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token (403)."""


@dataclass(frozen=True)
class TeacherContext:
    """The logged-in teacher and their session."""

    teacher: Teacher
    session: WebSession

    @property
    def csrf(self) -> str:
        """The token every form of this session carries."""
        return self.session.csrf


def current_teacher(request: Request) -> TeacherContext:
    """The logged-in teacher, else :class:`NotLoggedIn`."""
    console = console_of(request)
    with console.sessions() as db:
        found = session_for(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotLoggedIn
    return TeacherContext(found[1], found[0])


async def teacher_with_csrf(request: Request) -> TeacherContext:
    """The logged-in teacher of a state-changing request whose CSRF token checks out.

    The token comes from the ``csrf_token`` form field or the ``X-CSRF-Token`` header.
    """
    ctx = current_teacher(request)
    token = request.headers.get("x-csrf-token")
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not csrf_ok(ctx.session, token):
        raise CsrfFailed
    return ctx


def pre_csrf_token(request: Request) -> str:
    """The pre-login token: the cookie's if it has one, else a new one (set it on the answer)."""
    return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)


def pre_csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a pre-login form's token matches its cookie."""
    cookie = request.cookies.get(PRE_CSRF_COOKIE)
    return bool(cookie and submitted) and hmac.compare_digest(cookie or "", submitted or "")
