"""Staff alerts and the run history on Google: the control spreadsheet's tabs."""

from __future__ import annotations

import datetime as dt

from conftest import KIT, SAMPLE_NOW
from gfake import CONTROL_ID, kit_ports, served
from pmc_sync.google.staff_sheet import SheetStaffRecords
from pmc_sync.runner import alert_staff
from pmc_sync.staff_mail import week_summaries
from pmc_sync.sync import run_sync

NOBODY = "nobody@example.edu"
STAFF = "postdoc-mentoring@example.edu"


def _to_staff(fake):
    return [m["Subject"] for m in fake.sent if m["To"] == STAFF]


def _failing_runs(ports, records, config, hours):
    """Runs for an unregistered address, an hour apart: each one fails."""
    for hour in hours:
        now = SAMPLE_NOW + dt.timedelta(hours=hour)
        result = run_sync(ports, config, now, participant=NOBODY)
        alert_staff(ports, records, config, now, result=result)


def test_three_failures_in_a_row_alert_staff_once_from_the_cloud(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    records = SheetStaffRecords(ports.sheets.http, CONTROL_ID)
    with served(fake):
        _failing_runs(ports, records, config, [0, 1])
        assert _to_staff(fake) == []
        _failing_runs(ports, records, config, [2, 3])
        history = week_summaries(records.summaries, SAMPLE_NOW + dt.timedelta(hours=4))

    assert _to_staff(fake) == [f"pmc-sync: {NOBODY} failed 3 runs in a row"]
    (row,) = fake.spreadsheets[CONTROL_ID]["Alerts"][1:]
    assert row[0] == f"participant-failing:{NOBODY}" and row[4] == "1"
    assert len(history) == 4
    assert all(s["failed_participants"] == [NOBODY] for s in history)


def test_a_clean_run_ends_the_problem(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    records = SheetStaffRecords(ports.sheets.http, CONTROL_ID)
    with served(fake):
        _failing_runs(ports, records, config, [0, 1, 2])
        assert len(_to_staff(fake)) == 1
        clean = run_sync(ports, config, SAMPLE_NOW + dt.timedelta(hours=5))
        alert_staff(ports, records, config, clean.now, result=clean)

    alerts = fake.spreadsheets[CONTROL_ID]["Alerts"][1:]
    assert all(not any(row) for row in alerts)
