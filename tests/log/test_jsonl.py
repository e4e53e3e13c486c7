"""JSON lines: every line parses, every written line survives kill -9, torn tails are cut."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.log import JsonlWriter, StatementSequence, read_jsonl, validate_statement, write_jsonl
from engine.log.jsonl import iter_jsonl

from . import make_ctx, sample_session

REPO = Path(__file__).resolve().parents[2]


def test_round_trip_one_statement_per_line(tmp_path: Path) -> None:
    seq = StatementSequence(make_ctx())
    stmts = [s for e in sample_session() for s in seq(e)]
    path = tmp_path / "out" / "session.jsonl"
    with JsonlWriter(path) as out:
        for s in stmts:
            out.write(s)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(stmts)
    for line, stmt in zip(lines, stmts, strict=True):
        parsed = json.loads(line)
        assert parsed == stmt
        assert validate_statement(parsed) == []
    assert read_jsonl(path) == stmts


def test_appends_to_an_existing_file_and_keeps_unicode(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with JsonlWriter(path) as out:
        out.write({"n": 1, "text": "Überprüfe das Pendel 振り子"})
    with JsonlWriter(path) as out:
        out.write({"n": 2})
    assert read_jsonl(path) == [{"n": 1, "text": "Überprüfe das Pendel 振り子"}, {"n": 2}]
    assert "振り子" in path.read_text(encoding="utf-8")


def test_nan_is_refused_rather_than_written_as_invalid_json(tmp_path: Path) -> None:
    with JsonlWriter(tmp_path / "s.jsonl") as out, pytest.raises(ValueError):
        out.write({"value": math.nan})
    assert read_jsonl(tmp_path / "s.jsonl") == []


def test_torn_last_line_is_skipped_and_cut_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with JsonlWriter(path) as out:
        out.write({"n": 1})
        out.write({"n": 2})
    with open(path, "ab") as f:
        f.write(b'{"n": 3, "unfinis')  # what a crash mid-write leaves
    assert read_jsonl(path) == [{"n": 1}, {"n": 2}]
    with pytest.raises(ValueError, match="torn"):
        read_jsonl(path, strict=True)
    with JsonlWriter(path) as out:
        out.write({"n": 4})
    assert read_jsonl(path, strict=True) == [{"n": 1}, {"n": 2}, {"n": 4}]


def test_a_corrupt_middle_line_is_an_error_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"n": 1}\nnot json\n{"n": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        list(iter_jsonl(path))


def test_write_jsonl_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("old\n", encoding="utf-8")
    assert write_jsonl(path, [{"a": 1}, {"b": 2}]) == 2
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
    assert not path.with_name("export.jsonl.tmp").exists()


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from engine.log import JsonlWriter
    out = JsonlWriter(sys.argv[1])
    for i in range(int(sys.argv[2])):
        out.write({"seq": i, "pad": "x" * (i % 50)})
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush at exit
    """
)


def test_every_line_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    n = 300
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(path), str(n)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    assert [r["seq"] for r in read_jsonl(path, strict=True)] == list(range(n))
