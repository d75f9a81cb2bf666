"""What participants see after a run: their checklist files and their emails."""

from __future__ import annotations

import email
from email import policy

import pytest
from openpyxl import load_workbook

from conftest import SAMPLE_NOW
from pmc_sync.sync import run_sync

FARAH = "1-lYRKct6wRqQ3gQhPm1HYIlbR05Exrt1Hbd4iKvpbPH"
IBRAHIM = "1B6lg4sNnl_8_WKD1QeVXnsmV8_dG7gBEyWHZiBrvduB"
KENJI = "1Lp4mc7a1zUIUoOFZn1QHTAlA2zUThFn79NijV1esgt0"
CONFIDENTIAL = "CONFIDENTIAL-MENTEE-REMARK"


def _rows(workspace, sheet_id, tab=0):
    book = load_workbook(workspace.root / "checklists" / f"{sheet_id}.xlsx")
    sheet = book.worksheets[tab] if isinstance(tab, int) else book[tab]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _row(rows, key):
    return next(r for r in rows if key in r)


@pytest.fixture
def synced(sample_workspace, config):
    run_sync(sample_workspace, config, SAMPLE_NOW)
    return sample_workspace


def test_farahs_extra_column_and_note_survive(synced):
    rows = _rows(synced, FARAH)

    header = _row(rows, "Key")
    assert header == [
        "Key",
        "Tier",
        "Step",
        "Status",
        "Completed on",
        "Progress",
        "Next step",
        "Mentor",
        "My notes",
    ]
    fundamentals = _row(rows, "T1.fundamentals")
    assert fundamentals[header.index("My notes")] == "Ask about the Dec session"
    mondays = _row(rows, "T1.mondays")
    assert mondays[header.index("Progress")] == "3 of 4 Mondays"
    assert mondays[header.index("Status")] is False
    assert mondays[header.index("Mentor")] is None
    pre = _row(rows, "T1.pre")
    assert pre[header.index("Status")] is True
    assert pre[header.index("Completed on")] == "2026-10-21"


def test_ibrahims_inserted_row_and_note_survive(synced):
    rows = _rows(synced, IBRAHIM)

    header = _row(rows, "Key")
    keys = [r[0] for r in rows]
    inserted = keys.index("T1.pre") + 1
    assert rows[inserted][:3] == [None, None, "(my reminder) bring lunch on Mondays"]
    assert all(v is None for v in rows[inserted][3:])
    register = _row(rows, "T1.register")
    assert register[header.index("My notes")] == "Registered in September"
    assert register[header.index("Completed on")] == "2026-09-01"
    assert _row(rows, "T1.fundamentals")[header.index("Completed on")] == "2026-09-29"


def test_kenjis_unrecognised_sheet_is_left_byte_for_byte(sample_workspace, config):
    path = sample_workspace.root / "checklists" / f"{KENJI}.xlsx"
    before = path.read_bytes()

    result = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert path.read_bytes() == before
    plan = result.checklists["kenji.nakamura@example.edu"]
    assert plan.outcome == "layout not recognised: nothing written"
    assert "Key" in plan.reason


def test_last_synced_cell_and_activity_log_are_written(synced):
    rows = _rows(synced, FARAH)
    synced_row = _row(rows, "Last synced:")
    label = synced_row.index("Last synced:")
    assert synced_row[label + 1] == "2026-11-30 10:00 PST"

    log = _rows(synced, FARAH, "Activity log")
    assert log[0] == ["Date", "Activity", "Counts for", "Counted", "Why not"]
    mondays = [r for r in log if r[1] == "Mentoring Monday"]
    assert [r[0] for r in mondays] == [
        "2026-10-26",
        "2026-11-09",
        "2026-11-09",
        "2026-11-23",
    ]
    assert [r[3] for r in mondays] == ["Yes", "Yes", "No", "Yes"]
    assert mondays[2][4] == "already logged for this date"


def _everything_a_participant_sees(workspace):
    texts = []
    for path in sorted((workspace.root / "checklists").glob("*.xlsx")):
        book = load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                texts += [str(v) for v in row if v is not None]
    for path in sorted((workspace.root / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        texts += [f"{k}: {v}" for k, v in message.items()]
        texts += [
            part.get_content() for part in message.walk() if not part.is_multipart()
        ]
    return "\n".join(texts)


def test_the_mentees_confidential_assessment_reaches_no_participant(synced):
    seen = _everything_a_participant_sees(synced)

    assert "Esperanza" in seen or "Espe" in seen  # the scan does read the outputs
    assert CONFIDENTIAL not in seen
    assert "jordan.lee" not in seen  # the mentee's own address (only in that form)
    assert "mentee assessment" not in seen.lower()


def test_assessment_answers_are_not_copied_anywhere(synced):
    seen = _everything_a_participant_sees(synced)

    assert "My answer about:" not in seen  # capstone answers
    assert "The role plays." not in seen  # post-assessment free text
    assert "Giving feedback." not in seen  # coaching feedback text


def test_no_formula_is_ever_written(synced):
    for path in (synced.root / "checklists").glob("*.xlsx"):
        book = load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                assert all(c.data_type != "f" for c in row), path.name


def test_text_a_participant_typed_beside_last_synced_is_kept(sample_workspace, config):
    path = sample_workspace.root / "checklists" / f"{FARAH}.xlsx"
    book = load_workbook(path)
    sheet = book.worksheets[0]
    sheet.insert_cols(5)  # a column of their own, right after "Last synced:"
    sheet.cell(2, 5).value = "my own words"
    book.save(path)

    run_sync(sample_workspace, config, SAMPLE_NOW)

    rows = _rows(sample_workspace, FARAH)
    assert rows[1][3:5] == ["Last synced:", "my own words"]
    assert _row(rows, "T1.pre")[_row(rows, "Key").index("Status")] is True
