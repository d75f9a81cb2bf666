"""Faults injected into the local adapters: the next run finishes the job."""

from __future__ import annotations

import pytest

from conftest import EXPECTED, SAMPLE_NOW
from pmc_sync import faults
from pmc_sync.errors import StateUnavailable
from pmc_sync.report import expected_view
from pmc_sync.sync import run_sync

ALL_EMAILS = sum(len(p["emails"]) for p in EXPECTED["participants"].values())


@pytest.fixture
def inject(monkeypatch):
    def set_faults(spec: str) -> None:
        faults.reset()
        monkeypatch.setenv(faults.FAULTS_ENV, spec)

    yield set_faults
    faults.reset()


def _sent(workspace):
    return len(list((workspace.root / "outbox").glob("*.eml")))


def _views(result):
    return {
        person: view["requirements"]
        for person, view in expected_view(result)["participants"].items()
    }


def test_a_checklist_write_that_fails_is_completed_by_the_next_run(
    sample_workspace, config, inject
):
    inject("checklist_write@3=raise")
    first = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert first.exit_code == 1
    (failed,) = first.failed_participants
    assert first.checklists[failed].outcome.startswith("write failed")
    assert all(p != failed for p, _, _ in first.emails_sent)  # held back with it

    inject("")
    second = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert second.exit_code == 0
    assert second.checklists[failed].outcome == "written"
    assert second.checklists[failed].cells > 0
    assert _sent(sample_workspace) == ALL_EMAILS
    third = run_sync(sample_workspace, config, SAMPLE_NOW)
    assert sum(p.cells for p in third.checklists.values()) == 0


def test_state_unavailable_at_the_start_stops_before_anything(
    sample_workspace, config, inject
):
    inject("state@1=raise")

    with pytest.raises(StateUnavailable):
        run_sync(sample_workspace, config, SAMPLE_NOW)

    assert _sent(sample_workspace) == 0


def test_state_unavailable_when_claiming_an_email_stops_sending(
    sample_workspace, config, inject
):
    inject("state.claim@1=raise")
    with pytest.raises(StateUnavailable):
        run_sync(sample_workspace, config, SAMPLE_NOW)
    assert _sent(sample_workspace) == 0

    inject("")
    final = run_sync(sample_workspace, config, SAMPLE_NOW)
    assert final.exit_code == 0
    assert _sent(sample_workspace) == ALL_EMAILS


def test_a_failed_send_is_retried_next_run_and_the_end_state_is_the_same(
    sample_workspace, config, inject, tmp_path
):
    inject("before_deliver@2=raise")
    first = run_sync(sample_workspace, config, SAMPLE_NOW)
    assert first.exit_code == 1
    assert len(first.emails_sent) < ALL_EMAILS

    inject("")
    second = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert len(first.emails_sent) + len(second.emails_sent) == ALL_EMAILS
    assert _sent(sample_workspace) == ALL_EMAILS
    for person, want in EXPECTED["participants"].items():
        assert _views(second)[person] == want["requirements"]
