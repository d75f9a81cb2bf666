"""The sample cohort reaches the kit's expected.json, and a rerun changes nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import EXPECTED, KIT, KIT_BESIDE, SAMPLE_NOW, assert_reaches_expected
from pmc_sync.sync import run_sync, summary_counts
from pmc_sync.workspace import DEMO_DATA


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


def test_first_run_reaches_expected_json(sample_workspace, config):
    result = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert_reaches_expected(result)


def test_first_run_writes_one_eml_per_email(sample_workspace, config):
    result = run_sync(sample_workspace, config, SAMPLE_NOW)

    outbox = sample_workspace.root / "outbox"
    emls = sorted(outbox.glob("*.eml"))
    wanted = sum(len(p["emails"]) for p in EXPECTED["participants"].values())
    assert len(emls) == wanted == len(result.emails_sent)
    for email in EXPECTED["participants"]:
        mine = [p for p in emls if p.name.startswith(f"{email}--")]
        assert len(mine) == len(EXPECTED["participants"][email]["emails"]), email


def test_second_run_at_same_now_sends_nothing_and_writes_nothing(
    sample_workspace, config
):
    run_sync(sample_workspace, config, SAMPLE_NOW)
    checklists = _digest(sample_workspace.root / "checklists")
    outbox = _digest(sample_workspace.root / "outbox")

    again = run_sync(sample_workspace, config, SAMPLE_NOW)

    counts = summary_counts(again)
    second = EXPECTED["second_run_same_now"]
    assert counts["emails_sent"] == second["emails"]
    assert counts["checklist_cells_written"] == second["checklist_cells_changed"]
    assert counts["requirements_newly_met"] == 0
    assert _digest(sample_workspace.root / "checklists") == checklists
    assert _digest(sample_workspace.root / "outbox") == outbox


def test_first_run_reports_what_it_did(sample_workspace, config):
    result = run_sync(sample_workspace, config, SAMPLE_NOW)

    counts = summary_counts(result)
    assert counts["participants"] == len(EXPECTED["participants"])
    assert counts["responses_read"] == 114
    assert counts["unmatched"] == 1
    assert counts["flags"] == 2
    assert counts["checklists"] == {
        "layout not recognised: nothing written": 1,
        "not written (withdrawn)": 1,
        "unreachable": 1,
        "written": 8,
    }
    done = sum(
        r["done"]
        for p in EXPECTED["participants"].values()
        for r in p["requirements"].values()
    )
    assert counts["requirements_newly_met"] == done
    assert counts["checklist_cells_written"] > 0


@pytest.mark.skipif(
    KIT != KIT_BESIDE and not os.environ.get("CI"),
    reason="the program kit is not beside this checkout (CI has it)",
)
def test_bundled_demo_is_the_kits_sample():
    for kit_file in [*(KIT / "forms").glob("*.json"), *(KIT / "sample").rglob("*.*")]:
        relative = kit_file.relative_to(KIT)
        vendored = DEMO_DATA / relative
        assert vendored.read_bytes() == kit_file.read_bytes(), relative
