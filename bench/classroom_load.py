"""Benchmark: 30 stations streaming statements into the teacher console, one teacher watching.

Run from the checkout's root::

    .venv/bin/python bench/classroom_load.py                # 30 stations x 10/s for 2 minutes
    .venv/bin/python bench/classroom_load.py --seconds 20   # shorter

The console runs as its own process (``classroom.console.server.serve``, one uvicorn worker,
SQLite in a temporary folder, thumbnails off) so its CPU and memory can be read on their own
(psutil). Through real HTTP on loopback the benchmark logs a teacher in, makes a class of 30
learners, opens a class session on the pendulum lab, pairs 30 simulated stations with the
code, launches, and opens the live view's event stream (SSE) as the teacher's browser would.

Each station then sends one statement every 1/rate seconds, one request at a time (it waits
for the answer, as the real station's outbox does), cycling through the lesson's recorded
``struggling`` session with a fresh statement id each time, and long-polls for commands all
along. The live view's row for a station carries ``data-statements="N"``: the number of
statements the view has folded in. When the SSE client first sees N for a station, every
statement of that station up to the N-th has reached the teacher's view; its latency is that
moment minus the moment the station started sending it (same process, same clock).

Printed: statements sent and acknowledged, lost (acknowledged by the console but missing from
its database, or never acknowledged: target 0), duplicates, the achieved rate, the p50/p99/max
latency from a station's statement to the live view (target p99 < 200 ms), statements that
never reached the view, and the console's CPU (percent of one core, averaged over the run) and
resident memory (start, peak, end). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import queue
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil


def now() -> float:
    """CLOCK_MONOTONIC: one clock for every process of the benchmark on this machine."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "lessons" / "pendulum-lab" / "recordings" / "struggling.jsonl"
TEACHER, PASSWORD = "bench-teacher", "bench password 123"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r'id="pairing-code">(\d{6})<')
_ROW = re.compile(r'id="station-([0-9a-f-]+)".*?data-statements="(\d+)"', re.S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: str, port: int) -> None:
    """The console process: default settings except room for 30 pairings from one address."""
    from classroom.console.server import serve as run
    from classroom.console.settings import ConsoleSettings, RateLimit

    settings = ConsoleSettings(
        data_dir=Path(data), thumbnails=False, pairing_limit=RateLimit(1000, 60.0)
    )
    run(settings, "127.0.0.1", port, log_level="warning")


def start_console(data: Path, port: int) -> subprocess.Popen[bytes]:
    """Create the teacher account, then start the console process and wait for it."""
    from classroom.console.server import create_teacher_account
    from classroom.console.settings import ConsoleSettings

    create_teacher_account(ConsoleSettings(data_dir=data), TEACHER, PASSWORD)
    code = f"from bench.classroom_load import serve; serve({str(data)!r}, {port})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the console did not start")


def setup_class(url: str, stations: int) -> tuple[httpx.Client, str, str]:
    """Log in, make a class of ``stations`` learners, open a session; (client, session, code)."""
    http = httpx.Client(base_url=url, follow_redirects=True, timeout=30)
    token = _CSRF.search(http.get("/login").text)
    assert token
    r = http.post(
        "/login", data={"name": TEACHER, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    csrf_match = _CSRF.search(r.text)
    assert csrf_match, r.text
    csrf = csrf_match.group(1)
    r = http.post("/classes", data={"name": "bench", "csrf_token": csrf})
    class_id = str(r.url).rsplit("/", 1)[1]
    roster = "id,name\n" + "".join(f"s{i:02d},Learner {i:02d}\n" for i in range(stations))
    http.post(f"/classes/{class_id}/roster", data={"text": roster, "csrf_token": csrf})
    r = http.post(
        f"/classes/{class_id}/sessions",
        data={"lesson_id": "pendulum-lab", "mode": "headless", "csrf_token": csrf},
    )
    code = _CODE.search(r.text)
    assert code, r.text
    return http, str(r.url).rsplit("/", 1)[1], code.group(1)


class Station:
    """One simulated station: its token, and when it started sending each statement."""

    def __init__(self, station_id: str, token: str) -> None:
        self.station_id = station_id
        self.token = token
        self.sent_at: list[float] = []  # index k: the (k+1)-th statement
        self.acked = 0
        self.duplicates = 0
        self.errors = 0
        self.seen = 0  # statements the live view has shown so far
        self.latencies: list[float] = []


async def run_station(
    st: Station, url: str, template: list[dict[str, Any]], rate: float, stop_at: float
) -> None:
    """Send statements at ``rate`` per second until ``stop_at`` (one request at a time)."""
    headers = {"Authorization": f"Bearer {st.token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        poller = asyncio.create_task(long_poll(http))
        period = 1.0 / rate
        next_at = now()
        i = 0
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - now()))
            stmt = dict(template[i % len(template)])
            stmt["id"] = str(uuid.uuid4())
            i += 1
            st.sent_at.append(now())
            try:
                r = await http.post("/api/station/statements", json={"statements": [stmt]})
                r.raise_for_status()
                body = r.json()
                st.acked += body["stored"]
                st.duplicates += body["duplicates"]
            except httpx.HTTPError:
                st.errors += 1
            next_at = max(next_at + period, now() - period)
        poller.cancel()


async def long_poll(http: httpx.AsyncClient) -> None:
    """A station's command long poll, running all along (as a real station's does)."""
    after = 0
    while True:
        try:
            r = await http.get("/api/station/commands", params={"after": after, "wait": 25})
            commands = r.json().get("commands", [])
            if commands:
                after = commands[-1]["seq"]
        except (httpx.HTTPError, ValueError):
            await asyncio.sleep(0.5)


def watch(url: str, cookies: dict[str, str], session: str, out: Any, ready: Any) -> None:
    """The teacher's browser, in a process of its own (no GIL shared with the stations).

    Reads the SSE stream and puts ``(station_id, N, time)`` on ``out`` for each row seen.
    """
    with (
        httpx.Client(base_url=url, cookies=cookies, timeout=None) as http,
        http.stream("GET", f"/sessions/{session}/events") as r,
    ):
        data: list[str] = []
        try:
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and data:
                    t = now()
                    match = _ROW.search("\n".join(data))
                    data = []
                    if match:
                        out.put((match.group(1), int(match.group(2)), t))
        except httpx.HTTPError:
            return  # the console stopped


def load_stations(
    url: str, creds: list[tuple[str, str]], rate: float, seconds: float, start_at: float, out: Any
) -> None:
    """The stations, in a process of their own; puts each station's results on ``out``."""
    template = [json.loads(line) for line in RECORDING.read_text().splitlines() if line.strip()]
    stations = [Station(sid, token) for sid, token in creds]

    async def everyone() -> None:
        await asyncio.sleep(max(0.0, start_at - now()))
        stop_at = start_at + seconds
        await asyncio.gather(*(run_station(st, url, template, rate, stop_at) for st in stations))

    asyncio.run(everyone())
    for st in stations:
        out.put((st.station_id, st.sent_at, st.acked, st.duplicates, st.errors))


def _server_stack() -> str:
    # uvicorn picks uvloop and httptools when they are installed; they matter here
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {http}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=30)
    parser.add_argument("--rate", type=float, default=10.0, help="statements/s per station")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2, help="processes simulating stations")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="classroom-bench-") as tmp:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_console(Path(tmp), port)
        try:
            return _run(args, url, Path(tmp), proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _run(
    args: argparse.Namespace,
    url: str,
    data: Path,
    proc: subprocess.Popen[bytes],
) -> int:
    teacher, session, code = setup_class(url, args.stations)
    stations: list[Station] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(args.stations):
            r = http.post("/api/station/pair", json={"code": code, "station_name": f"SIM-{i:02d}"})
            r.raise_for_status()
            stations.append(Station(r.json()["station_id"], r.json()["token"]))
    csrf = _CSRF.search(teacher.get(f"/sessions/{session}").text)
    assert csrf
    teacher.post(f"/sessions/{session}/launch", data={"csrf_token": csrf.group(1)})
    by_id = {st.station_id: st for st in stations}
    ctx = mp.get_context("spawn")
    rows, results, ready = ctx.Queue(), ctx.Queue(), ctx.Event()
    watcher = ctx.Process(
        target=watch, args=(url, dict(teacher.cookies), session, rows, ready), daemon=True
    )
    watcher.start()
    assert ready.wait(60), "the live view's event stream did not open"

    console = psutil.Process(proc.pid)
    rss_start = console.memory_info().rss
    rss_peak = rss_start
    # workers take a moment to start: everyone begins at the same instant
    start_at = now() + 3.0
    workers = []
    per = -(-len(stations) // args.workers)
    for w in range(args.workers):
        chunk = [(st.station_id, st.token) for st in stations[w * per : (w + 1) * per]]
        if chunk:
            workers.append(
                ctx.Process(
                    target=load_stations,
                    args=(url, chunk, args.rate, args.seconds, start_at, results),
                    daemon=True,
                )
            )
    for wp in workers:
        wp.start()
    while now() < start_at:
        time.sleep(0.01)
    cpu_start = console.cpu_times()
    t0 = now()
    seen: list[tuple[str, int, float]] = []
    collected = 0
    wall, cpu_end = 0.0, cpu_start
    while collected < len(stations):
        rss_peak = max(rss_peak, console.memory_info().rss)
        while not rows.empty():
            seen.append(rows.get())
        try:
            sid, sent_at, acked, dups, errors = results.get(timeout=0.5)
        except queue.Empty:
            continue
        if collected == 0:
            wall = now() - t0
            cpu_end = console.cpu_times()
        collected += 1
        st = by_id[sid]
        st.sent_at, st.acked, st.duplicates, st.errors = sent_at, acked, dups, errors
    # let the last rows reach the view (bounded: a lost one must not hang the benchmark)
    drain_until = now() + 10
    while now() < drain_until:
        try:
            seen.append(rows.get(timeout=0.2))
        except queue.Empty:
            if all(st.seen >= len(st.sent_at) for st in stations):
                break
        for sid, n, t in seen:
            shown = by_id.get(sid)
            if shown is None:
                continue
            for k in range(shown.seen, min(n, len(shown.sent_at))):
                shown.latencies.append(t - shown.sent_at[k])
            shown.seen = max(shown.seen, n)
        seen.clear()
    rss_end = console.memory_info().rss
    watcher.terminate()
    for wp in workers:
        wp.join(timeout=10)

    sent = sum(len(st.sent_at) for st in stations)
    acked = sum(st.acked for st in stations)
    with sqlite3.connect(data / "console.sqlite") as db:
        stored = db.execute(
            "SELECT count(*) FROM statements WHERE class_session_id = ?", (session,)
        ).fetchone()[0]
    latencies = [lat for st in stations for lat in st.latencies]
    unseen = sum(max(0, len(st.sent_at) - st.seen) for st in stations)
    cpu = (cpu_end.user + cpu_end.system - cpu_start.user - cpu_start.system) / wall * 100
    print(
        f"classroom load: {args.stations} stations x {args.rate:g} statements/s "
        f"for {args.seconds:g} s ({args.workers} station processes)"
    )
    print(
        f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"console: 1 uvicorn worker ({_server_stack()}), SQLite (WAL, synchronous=FULL)"
    )
    print(
        f"  sent {sent} statements ({sent / wall:.0f}/s achieved), acknowledged {acked}, "
        f"stored {stored}, request errors {sum(st.errors for st in stations)}, "
        f"duplicates {sum(st.duplicates for st in stations)}"
    )
    print(f"  lost: {sent - stored} (target 0)")
    if latencies:
        ms = [1000 * lat for lat in latencies]
        print(
            f"  statement -> teacher's live view: p50 {statistics.median(ms):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms "
            f"(target p99 < 200 ms), over {len(ms)} statements; never shown: {unseen}"
        )
    print(
        f"  console CPU: {cpu:.0f}% of one core (mean over the run); memory RSS: "
        f"{rss_start / 2**20:.0f} MiB at start, {rss_peak / 2**20:.0f} MiB peak, "
        f"{rss_end / 2**20:.0f} MiB at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
