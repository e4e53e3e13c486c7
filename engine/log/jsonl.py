"""Statements as JSON lines: one statement per line, each line on disk before the call returns.

The format LRS tools import (Ralph reads it, ``jq`` slices it). The writer fsyncs every
line, so a crash or ``kill -9`` keeps every line a call to :meth:`JsonlWriter.write`
returned from; a line torn by a crash mid-write is cut off when the file is reopened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any


def dumps(obj: Any) -> str:
    """Canonical compact JSON (sorted keys, UTF-8, no NaN): equal dicts give equal text."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _fsync_dir(path: Path) -> None:
    # a new file's directory entry must reach the disk too, or the whole file can vanish
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JsonlWriter:
    """Appends one JSON object per line to ``path``, durably.

    Args:
        path: The file; created (with its folder) if missing, appended to otherwise.

    Example:
        >>> with JsonlWriter(tmp / "session.jsonl") as out:  # doctest: +SKIP
        ...     out.write(statement)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        self._file = open(self.path, "a+b")  # noqa: SIM115 - closed in close()
        self._drop_torn_tail()
        if not existed:
            _fsync_dir(self.path.parent)

    def _drop_torn_tail(self) -> None:
        # a line without its newline was never acknowledged: cut it so the next line parses
        size = self._file.seek(0, os.SEEK_END)
        if size == 0:
            return
        self._file.seek(size - 1)
        if self._file.read(1) == b"\n":
            return
        pos = size
        chunk = 4096
        while pos > 0:
            start = max(0, pos - chunk)
            self._file.seek(start)
            data = self._file.read(pos - start)
            nl = data.rfind(b"\n")
            if nl >= 0:
                self._truncate(start + nl + 1)
                return
            pos = start
        self._truncate(0)

    def _truncate(self, size: int) -> None:
        self._file.truncate(size)
        self._file.flush()
        os.fsync(self._file.fileno())

    def write(self, obj: Any) -> None:
        """Append one object as a line; returns once the line is on disk.

        Raises:
            ValueError: ``obj`` holds NaN or infinity (not JSON) or the writer is closed.
        """
        line = (dumps(obj) + "\n").encode("utf-8")
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def write_all(self, objs: Iterable[Any]) -> int:
        """Append many objects with one fsync at the end (an export, not a live log).

        Returns:
            How many lines were written.
        """
        n = 0
        for obj in objs:
            self._file.write((dumps(obj) + "\n").encode("utf-8"))
            n += 1
        self._file.flush()
        os.fsync(self._file.fileno())
        return n

    def close(self) -> None:
        """Close the file (every line is already on disk)."""
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def iter_jsonl(path: str | os.PathLike[str], *, strict: bool = False) -> Iterator[Any]:
    """Yield the objects of a JSON-lines file, in order.

    Args:
        path: The file.
        strict: Raise on a torn last line instead of skipping it.

    Raises:
        ValueError: A line other than an unterminated last one is not JSON (with its number).
    """
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    # the text after the final newline is empty, or a line a crash tore before its newline
    tail = lines.pop()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
    if tail.strip():
        try:
            yield json.loads(tail)
        except json.JSONDecodeError as exc:
            if strict:
                raise ValueError(f"{path}:{len(lines) + 1}: torn last line") from exc


def read_jsonl(path: str | os.PathLike[str], *, strict: bool = False) -> list[Any]:
    """All objects of a JSON-lines file (see :func:`iter_jsonl`)."""
    return list(iter_jsonl(path, strict=strict))


def write_jsonl(path: str | os.PathLike[str], objs: Iterable[Any]) -> int:
    """Write ``objs`` to a new file ``path`` (replacing it), one per line; returns the count."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with JsonlWriter(tmp) as out:
        n = out.write_all(objs)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return n
