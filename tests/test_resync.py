"""Staff resync: the command, its idempotence, and the "Resync" tab."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import EXPECTED
from pmc_sync.adapters.local_resync import RESYNC_HEADER, RESYNC_TAB
from pmc_sync.cli import cli
from pmc_sync.workspace import STAFF_FILE

NOW = EXPECTED["now"]
PERSON = "hana.sato@example.edu"


def _run(workspace, *args):
    result = CliRunner().invoke(
        cli, [*args, "-w", str(workspace.root), "--now", NOW, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _outbox(workspace):
    return sorted(p.name for p in (workspace.root / "outbox").glob("*.eml"))


def test_resync_one_participant_then_again_changes_nothing(sample_workspace):
    first = _run(sample_workspace, "resync", "--participant", PERSON)

    assert first["emails_sent"] == len(EXPECTED["participants"][PERSON]["emails"])
    assert all(name.startswith(PERSON) for name in _outbox(sample_workspace))
    before = {
        p: p.read_bytes() for p in (sample_workspace.root / "checklists").iterdir()
    }

    second = _run(sample_workspace, "resync", "--participant", PERSON)

    assert second["emails_sent"] == 0
    assert second["checklist_cells_written"] == 0
    after = {
        p: p.read_bytes() for p in (sample_workspace.root / "checklists").iterdir()
    }
    assert after == before


def test_resync_all_sends_only_what_was_not_sent(sample_workspace):
    _run(sample_workspace, "sync")
    sent = _outbox(sample_workspace)

    again = _run(sample_workspace, "resync", "--all")

    assert again["emails_sent"] == 0
    assert again["checklist_cells_written"] == 0
    assert _outbox(sample_workspace) == sent


def test_resync_needs_a_participant_or_all(sample_workspace):
    result = CliRunner().invoke(cli, ["resync", "-w", str(sample_workspace.root)])

    assert result.exit_code == 2
    assert "--participant EMAIL or --all" in result.output


def _request(workspace, email):
    path = workspace.root / STAFF_FILE
    book = load_workbook(path)
    book[RESYNC_TAB].append([email, "staff@example.edu", "2026-11-30"])
    book.save(path)


def _resync_rows(workspace):
    book = load_workbook(workspace.root / STAFF_FILE, read_only=True)
    rows = [list(r) for r in book[RESYNC_TAB].iter_rows(values_only=True)]
    book.close()
    return rows


def test_a_resync_row_is_honoured_by_the_next_sync_and_then_done(sample_workspace):
    _run(sample_workspace, "sync")  # a first run adds the tab to the staff file
    assert _resync_rows(sample_workspace) == [RESYNC_HEADER]
    plain = _run(sample_workspace, "sync")
    _request(sample_workspace, PERSON.upper())

    honoured = _run(sample_workspace, "sync")

    assert honoured["responses_read"] > plain["responses_read"]  # a full re-read
    (row,) = _resync_rows(sample_workspace)[1:]
    assert row[:3] == [PERSON.upper(), "staff@example.edu", "2026-11-30"]
    assert row[3]  # "Done at"
    after = _run(sample_workspace, "sync")
    assert after["responses_read"] == plain["responses_read"]
    assert _resync_rows(sample_workspace)[1] == row


def test_a_resync_row_for_an_unknown_address_is_reported_and_closed(
    sample_workspace,
):
    _run(sample_workspace, "sync")
    _request(sample_workspace, "nobody@example.edu")

    summary = _run(sample_workspace, "sync")

    assert any("Resync row 2" in p["where"] for p in summary["problem_list"])
    assert _resync_rows(sample_workspace)[1][3]


def test_a_one_person_run_leaves_other_peoples_rows(sample_workspace):
    _run(sample_workspace, "sync")
    _request(sample_workspace, "someone.else@example.edu")

    _run(sample_workspace, "sync", "--participant", PERSON)

    assert _resync_rows(sample_workspace)[1][3] is None


def test_an_unreadable_staff_file_holds_the_run_without_a_crash(sample_workspace):
    (sample_workspace.root / STAFF_FILE).write_text("not a spreadsheet")

    result = CliRunner().invoke(
        cli, ["sync", "-w", str(sample_workspace.root), "--now", NOW, "--json"]
    )

    assert result.exit_code == 1, result.output
    assert "staff-decisions.xlsx: cannot be read" in result.output
    assert not _outbox(sample_workspace)
