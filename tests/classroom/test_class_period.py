"""A whole class period in a real browser: Debian's Chromium driven by Playwright.

The teacher logs in, creates a class, imports a roster, opens a class session on the
Athenian Agora, and two real ``lesson station`` processes (headless, each walking the
lesson's walkthrough) pair with the code on screen. The teacher launches, watches the rows
change through server-sent events (no reload), pauses, resumes, points everyone at a point
of interest, ends the lesson, opens the report and exports the CSV.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.classroom.conftest import PASSWORD, TEACHER, ConsoleHandle

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LESSON = "athenian-agora"
SCRIPT = LESSONS_DIR / LESSON / "scripts" / "walkthrough.yaml"
#: generous bounds for things a loaded 2-core CI machine does slowly (not measurements)
WAIT_MS = 120_000


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def stations(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The station processes a test starts (killed at the end if still running)."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_station(
    url: str, code: str, name: str, tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> Path:
    """``lesson station --console URL --code CODE --headless`` as a real process; its log."""
    home = tmp_path / name
    home.mkdir()
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "XDG_CACHE_HOME": str(home / "xdg-cache"),
    }
    lesson_cmd = Path(sys.executable).with_name("lesson")
    cmd = [
        str(lesson_cmd),
        "station",
        "--console",
        url,
        "--code",
        code,
        "--name",
        name,
        "--data",
        str(home / "data"),
        "--headless",
        "--script",
        str(SCRIPT),
        "--pace",
        "0.5",
        "--size",
        "320x180",
    ]
    log = home / "station.log"
    with log.open("wb") as out:
        procs.append(
            subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        )
    return log


def row(page: Page, name: str) -> str:
    """The live table's row of a station, by name (a CSS selector)."""
    return f"#live-rows tr:has(td.station:text-is('{name}'))"


def wait_rows(page: Page, js_condition: str) -> None:
    """Wait until every station row satisfies ``js_condition`` (on ``r``, a <tr>)."""
    page.wait_for_function(
        f"""() => {{
            const rows = [...document.querySelectorAll('#live-rows tr[data-state]')];
            return rows.length === 2 && rows.every(r => {js_condition});
        }}""",
        timeout=WAIT_MS,
    )


def test_a_class_period(
    console: ConsoleHandle,
    browser: Browser,
    stations: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    console.teacher()  # the account (made with `lesson teach --create-teacher` in real life)
    page = browser.new_page(accept_downloads=True)
    page.set_default_timeout(WAIT_MS)

    # log in
    page.goto(console.url + "/")
    expect(page).to_have_url(console.url + "/login")
    page.fill("input[name=name]", TEACHER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:text('Log in')")
    expect(page).to_have_url(console.url + "/classes")

    # a class and its roster (a CSV file, with one bad line the page reports)
    page.fill("input[name=name]", "7B History")
    page.click("button:text('Create class')")
    expect(page.locator("h1")).to_have_text("7B History")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns01,Ada Lovelace\ns02,Alan Turing\ns03,\n")
    page.set_input_files("input[name=file]", str(roster))
    page.click("button:text('Import roster')")
    expect(page.locator("#roster-errors")).to_contain_text("line 4")
    expect(page.locator("table.roster")).to_contain_text("Ada Lovelace")
    expect(page.locator("table.roster")).to_contain_text("Alan Turing")

    # a class session on the Agora; two stations pair with the code on screen
    page.select_option("select[name=lesson_id]", LESSON)
    page.select_option("select[name=mode]", "headless")
    page.click("button:text('Start class session')")
    code = page.locator("#pairing-code").inner_text().strip()
    assert code.isdigit() and len(code) == 6
    logs = [start_station(console.url, code, n, tmp_path, stations) for n in ("PC-01", "PC-02")]
    # the table reloads by itself as stations pair (SSE "roster" event)
    try:
        expect(page.locator(row(page, "PC-01"))).to_be_visible()
        expect(page.locator(row(page, "PC-02"))).to_be_visible()
    except AssertionError:
        raise AssertionError(
            "stations did not pair:\n" + "\n".join(p.read_text()[-2000:] for p in logs)
        ) from None

    # launch, then watch progress arrive without reloading the page
    page.click("#launch")
    page.evaluate("window.__sameDocument = true")
    wait_rows(page, "r.dataset.state === 'running' && +r.dataset.statements >= 3")
    # launch put the roster's learners on the stations, one each
    learners = {
        name: page.locator(row(page, name) + " td.learner").inner_text().strip()
        for name in ("PC-01", "PC-02")
    }
    assert sorted(learners.values()) == ["Ada Lovelace", "Alan Turing"]
    first = int(page.locator(row(page, "PC-01")).get_attribute("data-statements") or 0)
    page.wait_for_function(
        """([name, seen]) => [...document.querySelectorAll('#live-rows tr')].some(
            r => r.querySelector('td.station')?.textContent.trim() === name
                 && +r.dataset.statements > seen)""",
        arg=["PC-01", first],
        timeout=WAIT_MS,
    )
    assert page.evaluate("window.__sameDocument") is True  # updates came live, not by reload
    expect(page.locator(row(page, "PC-01") + " td.step")).not_to_have_text("—")

    # pause everyone, then resume
    page.click("#pause-all")
    wait_rows(page, "r.dataset.state === 'paused'")
    page.click("#resume-all")
    wait_rows(page, "r.dataset.state === 'running' || r.dataset.state === 'ended'")

    # look here: the stoa; guide mode shows where each student looks
    page.select_option("#poi", "stoa")
    page.click("#look-here")
    page.click("#guide-toggle")
    expect(page.locator("table.live.guide th.gaze")).to_be_visible()

    # end for all
    page.click("#end-all")
    expect(page.locator("#session-state")).to_have_text("ended")
    wait_rows(page, "r.dataset.state === 'ended'")

    # the report, and its CSV
    page.click("#report-link")
    expect(page.locator("#students tr.student")).to_have_count(2)
    expect(page.locator("#students")).to_contain_text("Ada Lovelace")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    rows = {r["learner"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"Ada Lovelace", "Alan Turing", "CLASS (mean)"}
    for station, learner in learners.items():
        assert rows[learner]["stations"] == station
    assert int(rows["Ada Lovelace"]["steps_completed"]) >= 1
    assert float(rows["Alan Turing"]["minutes"]) > 0
