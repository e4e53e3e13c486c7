"""The console's settings: one frozen object handed to the app factory (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RateLimit:
    """At most ``attempts`` in ``window`` seconds per client address."""

    attempts: int
    window: float


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything the console needs to run.

    Attributes:
        data_dir: Where the database (by default), installed packs, built packs and the
            thumbnail cache live.
        db_url: A SQLAlchemy URL; ``None``: SQLite in ``data_dir/console.sqlite``.
        lesson_dirs: Folders of lesson folders making up the library (bundled lessons, then
            ``data_dir/lessons`` where packs are installed).
        lrs_url: An external xAPI LRS (base URL, e.g. ``http://lrs:8100/xAPI``) that every
            statement is forwarded to; ``None``: no forwarding.
        lrs_user: Basic-auth user of the LRS.
        lrs_password: Basic-auth password of the LRS.
        lrs_retry_seconds: How long the forwarder waits after the LRS failed.
        login_limit: Login attempts per address.
        pairing_limit: Pairing attempts per address.
        max_body_bytes: Requests with a larger body are refused (413).
        secure_cookies: Mark cookies ``Secure`` (behind HTTPS).
        thumbnails: Render lesson thumbnails (a headless Panda3D subprocess per lesson).
    """

    data_dir: Path
    db_url: str | None = None
    lesson_dirs: tuple[Path, ...] = ()
    lrs_url: str | None = None
    lrs_user: str = ""
    lrs_password: str = ""
    lrs_retry_seconds: float = 2.0
    login_limit: RateLimit = field(default_factory=lambda: RateLimit(10, 60.0))
    pairing_limit: RateLimit = field(default_factory=lambda: RateLimit(20, 60.0))
    max_body_bytes: int = 1024 * 1024
    secure_cookies: bool = False
    thumbnails: bool = True

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL actually used."""
        return self.db_url or f"sqlite:///{self.data_dir / 'console.sqlite'}"

    @property
    def installed_lessons(self) -> Path:
        """Where lesson packs uploaded to the console are installed."""
        return self.data_dir / "lessons"
