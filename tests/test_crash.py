"""A run killed between delivering an email and recording it: no duplicate."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest

from conftest import EXPECTED

NOW = EXPECTED["now"]
ALL_EMAILS = sum(len(p["emails"]) for p in EXPECTED["participants"].values())


def _sync(workspace, faults=""):
    env = {**os.environ, "PMC_SYNC_FAULTS": faults}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pmc_sync",
            "sync",
            "-w",
            str(workspace.root),
            "--now",
            NOW,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _deliveries(workspace):
    log = workspace.root / "outbox" / "deliveries.log"
    return Counter(line.split("\t")[1] for line in log.read_text().splitlines())


def _ledger(workspace):
    with sqlite3.connect(workspace.root / "state.sqlite") as db:
        return db.execute(
            "SELECT state, count(*) FROM emails GROUP BY state"
        ).fetchall()


@pytest.mark.parametrize("nth", [1, 4, ALL_EMAILS])
def test_killed_after_delivery_before_recording_is_not_sent_twice(
    sample_workspace, nth
):
    killed = _sync(sample_workspace, f"after_deliver@{nth}=kill")
    assert killed.returncode == 137
    assert sum(_deliveries(sample_workspace).values()) == nth
    assert ("sending", 1) in _ledger(sample_workspace)

    rerun = _sync(sample_workspace)

    assert rerun.returncode == 0, rerun.stderr
    deliveries = _deliveries(sample_workspace)
    assert len(deliveries) == ALL_EMAILS
    assert set(deliveries.values()) == {1}
    assert _ledger(sample_workspace) == [("sent", ALL_EMAILS)]


def test_killed_before_delivery_sends_it_on_the_next_run(sample_workspace):
    killed = _sync(sample_workspace, "before_deliver@2=kill")
    assert killed.returncode == 137
    assert sum(_deliveries(sample_workspace).values()) == 1

    assert _sync(sample_workspace).returncode == 0

    deliveries = _deliveries(sample_workspace)
    assert len(deliveries) == ALL_EMAILS and set(deliveries.values()) == {1}


def test_a_failed_delivery_is_not_marked_sent_and_goes_next_run(sample_workspace):
    failed = _sync(sample_workspace, "before_deliver@1=raise")
    assert failed.returncode == 1
    assert "fault injected" in failed.stdout

    assert _sync(sample_workspace).returncode == 0

    assert len(_deliveries(sample_workspace)) == ALL_EMAILS
    assert _ledger(sample_workspace) == [("sent", ALL_EMAILS)]


def _end_state(workspace):
    from openpyxl import load_workbook

    sheets = {
        path.name: [
            list(row)
            for sheet in load_workbook(path).worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
        for path in sorted((workspace.root / "checklists").glob("*.xlsx"))
    }
    outbox = sorted(p.name for p in (workspace.root / "outbox").glob("*.eml"))
    return sheets, outbox, _ledger(workspace)


@pytest.mark.parametrize(
    "fault",
    ["after_pull@1=kill", "after_checklist_write@3=kill", "after_deliver@5=kill"],
)
def test_a_run_killed_at_any_step_is_finished_by_the_next(tmp_path, config, fault):
    from conftest import KIT
    from pmc_sync.workspace import init_workspace

    clean = init_workspace(tmp_path / "clean", KIT / "forms", KIT / "sample", config)
    assert _sync(clean).returncode == 0
    crashed = init_workspace(tmp_path / "crash", KIT / "forms", KIT / "sample", config)

    assert _sync(crashed, fault).returncode == 137
    assert _sync(crashed).returncode == 0

    assert _end_state(crashed) == _end_state(clean)
    assert set(_deliveries(crashed).values()) == {1}
