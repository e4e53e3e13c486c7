"""The outbox and its sender, in process, against the console double on loopback."""

from __future__ import annotations

import uuid
from pathlib import Path

from classroom.station.client import ConsoleClient
from classroom.station.delivery import Sender
from classroom.station.inbox import Inbox, Revoked
from classroom.station.outbox import Outbox
from tests.classroom.station.fake_console import FakeConsole


def statement(sid: str | None = None) -> dict:
    return {
        "id": sid or str(uuid.uuid4()),
        "actor": {"account": {"homePage": "https://peripatos.dev/learners", "name": "ada"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://peripatos.dev/lessons/pendulum-lab"},
    }


def paired_client(console: FakeConsole) -> ConsoleClient:
    client = ConsoleClient(console.url)
    client.pair(console.new_code(), "PC-01")
    return client


def test_statements_leave_the_outbox_only_once_the_console_has_them(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    client = paired_client(fake_console)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    batch = [statement() for _ in range(3)]
    assert outbox.add(batch) == 3
    assert outbox.add(batch) == 0  # already waiting
    fake_console.stop()
    sender = Sender(outbox, client, Inbox())
    assert sender.flush() is False
    assert outbox.pending() == 3 and not fake_console.statement_ids()
    outbox.close()

    # a new process opens the same file: nothing was lost
    outbox = Outbox(tmp_path / "outbox.sqlite")
    assert outbox.pending() == 3
    fake_console.start()
    sender = Sender(outbox, client, Inbox())
    assert sender.flush() is True
    assert outbox.pending() == 0
    assert fake_console.statement_ids() == {s["id"] for s in batch}
    # a statement already delivered is not queued again (a reconciliation after a crash)
    assert outbox.add(batch) == 0
    assert outbox.pending() == 0
    outbox.close()


def test_a_statement_the_console_refuses_is_set_aside_and_the_rest_still_arrive(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    client = paired_client(fake_console)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    good = [statement(), statement()]
    bad = statement("not-a-uuid")
    outbox.add([good[0], bad, good[1]])
    assert Sender(outbox, client, Inbox()).flush() is True
    assert fake_console.statement_ids() == {s["id"] for s in good}
    ((rejected, reason),) = outbox.rejected()
    assert rejected == "not-a-uuid" and "UUID" in reason
    outbox.close()


def test_a_revoked_token_is_reported_to_the_lesson_thread(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    client = paired_client(fake_console)
    fake_console.revoke_all()
    outbox = Outbox(tmp_path / "outbox.sqlite")
    inbox = Inbox()
    sender = Sender(outbox, client, inbox)
    sender.start()
    outbox.on_add = sender.nudge
    outbox.add([statement()])
    message = inbox.get(timeout=60)
    assert isinstance(message, Revoked) and "not valid" in message.detail
    sender.stop()
    assert outbox.pending() == 1  # kept for a later pairing
    outbox.close()
