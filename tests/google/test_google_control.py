"""The control spreadsheet: staff decisions, the ledger, run history."""

from __future__ import annotations

import datetime as dt
import json

from conftest import KIT, SAMPLE_NOW
from gfake import CONTROL_ID, kit_ports, served
from pmc_sync.decisions import decisions_from_json
from pmc_sync.sync import run_sync


def test_decisions_read_from_the_control_sheet_match_the_kit(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        ports.open_state(True)
        got = ports.decisions()

    want = decisions_from_json(
        json.loads((KIT / "sample" / "staff-decisions.json").read_text())
    )
    assert got == want


def test_a_bad_row_is_reported_and_the_rest_apply(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    tabs = fake.spreadsheets[CONTROL_ID]
    tabs["Fundamentals substitutions"].append(["x@example.edu", "11/5/2026", ""])
    del tabs["Dismissed unmatched"]
    with served(fake):
        ports.open_state(True)
        got = ports.decisions()

    assert len(got.substitutions) == 1
    assert any("row 3" in p and "YYYY-MM-DD" in p for p in got.problems)
    assert any("'Dismissed unmatched' is missing" in p for p in got.problems)


def test_the_state_tabs_hold_the_run_and_a_dry_run_writes_nothing(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        run_sync(ports, config, SAMPLE_NOW, dry_run=True)
        assert fake.writes() == []
        result = run_sync(ports, config, SAMPLE_NOW)

    tabs = fake.spreadsheets[CONTROL_ID]
    emails = tabs["Emails"][1:]
    assert len(emails) == len(result.emails_sent)
    assert {row[4] for row in emails} == {"sent"}
    assert len(tabs["Responses"]) - 1 == result.responses_held
    assert len(tabs["Progress"]) - 1 == len(result.recon.progress)
    assert len(tabs["Checklists"]) - 1 == len(result.checklists)
    (run,) = tabs["Runs"][1:]
    assert run[0] == result.run_id and run[5] == "0"


def test_a_run_that_changes_nothing_is_not_recorded(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        run_sync(ports, config, SAMPLE_NOW)
        run_sync(ports, config, SAMPLE_NOW)
        run_sync(ports, config, SAMPLE_NOW + dt.timedelta(days=60))

    assert len(fake.spreadsheets[CONTROL_ID]["Runs"]) - 1 == 2


def test_claims_of_a_run_can_go_in_one_write(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    claims = [
        (f"p{i}@example.edu", "welcome", 1, f"<m{i}@x>", "2026-11-30", "run1")
        for i in range(3)
    ]
    with served(fake):
        state = ports.open_state(False)
        first = state.mark_sending_many(claims)
        again = state.mark_sending_many(claims[:1])
        writes = [c for c in fake.writes() if c.action == "sheets.values.batchUpdate"]

    assert first == [True, True, True] and again == [False]
    assert len(writes) == 1
    assert sorted(p for p, *_ in state.pending()) == [c[0] for c in claims]
