"""Pairing with the console's one-time code, and keeping the token it gives.

The token is scoped to one class session and may be revoked by the teacher; it is stored in
the station's data folder, readable by its owner only, and forgotten when revoked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from classroom.station.client import ConsoleClient
from classroom.station.files import StationPaths, read_json, write_json


@dataclass(frozen=True)
class Credentials:
    """What pairing gave this station."""

    console: str
    station_id: str
    token: str
    class_session_id: str
    class_name: str


def pair(client: ConsoleClient, code: str, station_name: str, paths: StationPaths) -> Credentials:
    """Pair with ``code`` and store the credentials.

    Raises:
        ConsoleRefused: a wrong or expired code (403) or too many tries (429).
        ConsoleUnreachable: no console answered.
    """
    answer = client.pair(code, station_name)
    creds = Credentials(
        console=client.base_url,
        station_id=answer.station_id,
        token=answer.token,
        class_session_id=answer.class_session_id,
        class_name=answer.class_name,
    )
    write_json(paths.credentials, asdict(creds), private=True)
    return creds


def load_credentials(paths: StationPaths, console: str) -> Credentials | None:
    """The stored credentials for ``console``; None when there are none (or for another)."""
    data = read_json(paths.credentials)
    if not isinstance(data, dict):
        return None
    try:
        creds = Credentials(**{k: str(data[k]) for k in Credentials.__dataclass_fields__})
    except KeyError:
        return None
    return creds if creds.console == console else None


def forget_credentials(paths: StationPaths) -> None:
    """Drop the stored token (it was revoked: the next start needs a new code)."""
    paths.credentials.unlink(missing_ok=True)
