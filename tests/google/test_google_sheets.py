"""Checklists in Google Sheets: one read, one RAW write of changed cells,
the "Activity log" tab added when missing, 403 and 404 unreachable."""

from __future__ import annotations

import json

import pytest

from conftest import KIT, SAMPLE_NOW
from gfake import SERVICE_ACCOUNT, google_error, kit_ports, served
from pmc_sync.checklist import CellChange
from pmc_sync.errors import ChecklistUnreachable
from pmc_sync.google.sheets_api import quote_title
from pmc_sync.sync import run_sync

LOG = "Activity log"


def _a_checklist(fake) -> str:
    return next(s for s in sorted(fake.spreadsheets) if len(s) == 44)


def _bodies(mock, action_path: str) -> list[dict]:
    return [
        json.loads(c.request.body)
        for c in mock.calls
        if action_path in c.request.url and c.request.method == "POST"
    ]


def test_read_returns_both_tabs_in_one_request(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    fake.spreadsheets[sheet_id][LOG] = [["Date", "Activity"], ["2026-09-01", "X"]]
    with served(fake):
        snapshot = ports.sheets.read(sheet_id)

    assert fake.count("sheets.get") == 1
    assert snapshot.activity_log == [["Date", "Activity"], ["2026-09-01", "X"]]
    grid = fake.spreadsheets[sheet_id]["Checklist"]
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            shown = snapshot.checklist[r][c] if c < len(snapshot.checklist[r]) else None
            assert shown == (value or None), (r, c)


def test_write_sends_only_the_changed_cells_raw_in_one_request(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    fake.spreadsheets[sheet_id][LOG] = []
    with served(fake) as mock:
        ports.sheets.read(sheet_id)
        ports.sheets.write(
            sheet_id,
            [CellChange(3, 2, "", '=HYPERLINK("x")'), CellChange(4, 1, False, True)],
            None,
        )
        (body,) = _bodies(mock, "values:batchUpdate")

    assert body["valueInputOption"] == "RAW"
    assert [d["range"] for d in body["data"]] == ["'Checklist'!C4", "'Checklist'!B5"]
    assert [d["values"] for d in body["data"]] == [[['=HYPERLINK("x")']], [[True]]]
    assert fake.spreadsheets[sheet_id]["Checklist"][3][2] == '=HYPERLINK("x")'
    assert fake.count("sheets.batchUpdate") == 0


def test_missing_activity_log_tab_is_added_then_written(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    log = [["Date", "Activity"], ["2026-09-01", "Mentoring Monday"]]
    with served(fake):
        ports.sheets.read(sheet_id)
        ports.sheets.write(sheet_id, [], log)

    assert fake.count("sheets.batchUpdate", sheet_id) == 1
    assert fake.count("sheets.values.batchUpdate", sheet_id) == 1
    assert fake.spreadsheets[sheet_id][LOG] == log


def test_a_shorter_activity_log_blanks_the_old_rows(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    fake.spreadsheets[sheet_id][LOG] = [["Date", "Activity", "Why"], ["a", "b", "c"]]
    with served(fake):
        ports.sheets.read(sheet_id)
        ports.sheets.write(sheet_id, [], [["Date", "Activity"]])
        again = ports.sheets.read(sheet_id)

    assert again.activity_log == [["Date", "Activity"]]


def test_a_tab_title_with_a_quote_is_quoted():
    assert quote_title("Avery's checklist") == "'Avery''s checklist'"


@pytest.mark.parametrize(
    ("status", "words"),
    [(403, f"not shared with {SERVICE_ACCOUNT}"), (404, "no such spreadsheet")],
)
def test_403_and_404_make_the_checklist_unreachable(tmp_path, config, status, words):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    fake.fail(
        "sheets.get",
        status,
        google_error(
            status, "The caller does not have permission", "", "PERMISSION_DENIED"
        ),
        target=sheet_id,
    )
    with served(fake), pytest.raises(ChecklistUnreachable) as caught:
        ports.sheets.read(sheet_id)

    assert sheet_id in str(caught.value) and words in str(caught.value)
    assert fake.count("sheets.get") == 1


def test_an_unshared_checklist_sends_checklist_unreachable_and_the_run_goes_on(
    tmp_path, config
):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        first = run_sync(ports, config, SAMPLE_NOW)
    written = sorted(
        p for p, plan in first.checklists.items() if plan.outcome == "written"
    )
    victim = written[0]
    sheet_id = first.checklists[victim].sheet_id
    fake.fail(
        "sheets.get",
        403,
        google_error(
            403, "The caller does not have permission", "", "PERMISSION_DENIED"
        ),
        target=sheet_id,
    )
    with served(fake):
        again = run_sync(ports, config, SAMPLE_NOW)

    assert again.checklists[victim].outcome == "unreachable"
    assert (victim, "checklist_unreachable", 1) in again.emails_sent
    others = [p for p in written[1:] if again.checklists[p].outcome == "written"]
    assert others == written[1:]


def test_an_id_that_is_not_a_spreadsheet_is_unreachable(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    sheet_id = _a_checklist(fake)
    fake.fail(
        "sheets.get",
        400,
        google_error(
            400,
            "This operation is not supported for this document",
            "",
            "FAILED_PRECONDITION",
        ),
        target=sheet_id,
    )
    with served(fake), pytest.raises(ChecklistUnreachable, match="not a Google"):
        ports.sheets.read(sheet_id)
