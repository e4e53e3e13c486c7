"""Roster CSV import: learners added, every bad line reported with its number."""

from __future__ import annotations

import re

from classroom.console.roster import parse_roster
from tests.classroom.conftest import ConsoleHandle


def test_parse_roster_reports_each_bad_line() -> None:
    text = (
        "Name,ID,settings\n"
        "Ada Lovelace,s01,\n"
        'Alan Turing,s02,"{""captions"": true}"\n'
        ",s03,\n"
        "Grace Hopper,,\n"
        "Bob,s01,\n"
        "Eve,s05,[1]\n"
        "Mallory,s06,{nope\n"
        "short\n"
        "\n"
        "Katherine Johnson,s07,\n"
    )
    result = parse_roster(text)
    assert [(e.external_id, e.name) for e in result.entries] == [
        ("s01", "Ada Lovelace"),
        ("s02", "Alan Turing"),
        ("s07", "Katherine Johnson"),
    ]
    assert result.entries[1].settings == {"captions": True}
    assert result.errors == [
        "line 4: the name must be 1 to 100 characters",
        "line 5: the id is empty",
        "line 6: id 's01' is already on line 2",
        "line 7: settings must be a JSON object",
        "line 8: settings are not valid JSON",
        "line 9: expected 3 columns, got 1",
    ]


def test_parse_roster_needs_a_header() -> None:
    assert parse_roster("").errors == ["line 1: the file is empty; expected a header 'id,name'"]
    assert parse_roster("s01,Ada\n").errors[0].startswith("line 1: the header must name")
    assert parse_roster("\ufeffid,name\ns1,A\n").entries[0].external_id == "s1"  # Excel's BOM


def test_roster_upload_adds_learners_and_lists_errors(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    class_id = teacher.create_class("9C")
    csv_text = "id,name\ns01,Ada Lovelace\ns02,\ns03,Alan Turing\n"
    r = teacher.post(
        f"/classes/{class_id}/roster", files={"file": ("roster.csv", csv_text.encode(), "text/csv")}
    )
    assert r.status_code == 422  # some lines were refused: the page says which
    assert "line 3: the name must be 1 to 100 characters" in r.text
    assert re.search(r"Imported: 2 added, 0 updated, 1 line\(s\) skipped", r.text)
    page = teacher.http.get(f"/classes/{class_id}").text
    assert "Ada Lovelace" in page and "Alan Turing" in page
    # importing again updates names instead of duplicating learners
    r = teacher.import_roster(class_id, "id,name\ns01,Ada King\n")
    assert r.status_code == 200 and "1 updated" in r.text
    page = teacher.http.get(f"/classes/{class_id}").text
    assert "Ada King" in page and "Ada Lovelace" not in page
    assert "Roster (2)" in page
    bad = teacher.post(
        f"/classes/{class_id}/roster", files={"file": ("r.csv", b"\xff\xfe\x00bad", "text/csv")}
    )
    assert bad.status_code == 422 and "UTF-8" in bad.text
