"""The sample cohort through the Google adapters, against a recorded fake.

The same ``run_sync`` as the local workspace, with ``google_ports``: the
kit's forms, responses, checklists and staff decisions are served by
``FakeGoogle`` at the HTTP boundary, and the run must reach the kit's
``expected.json``. The fake records every request, which is how the
request economy of issue 3 is measured and held.
"""

from __future__ import annotations

import datetime as dt

import pytest
import responses

from conftest import EXPECTED, KIT, SAMPLE_NOW, assert_reaches_expected
from gfake import CONTROL_ID, MAILBOX, kit_fake, make_settings
from pmc_sync.sync import run_sync, summary_counts

SHEETS_READ = "sheets.get"


@pytest.fixture
def google(tmp_path, config):
    """(fake, ports factory): each call to the factory is a fresh process."""
    from pmc_sync.google import google_ports

    fake, form_ids = kit_fake(KIT)
    settings = make_settings(tmp_path, form_ids)
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake, lambda: google_ports(settings, config, sleep=waits.append)
    assert waits == [], "the sample run should never have to wait or retry"


def test_sample_reaches_expected_json_through_google(google, config):
    fake, ports = google

    result = run_sync(ports(), config, SAMPLE_NOW)

    assert_reaches_expected(result)
    assert len(fake.sent) == len(result.emails_sent)
    assert {str(m["From"].addresses[0].addr_spec) for m in fake.sent} == {MAILBOX}


def _checklist_ids(fake) -> set[str]:
    return {c.target for c in fake.calls if c.action == SHEETS_READ} - {CONTROL_ID}


def test_first_run_request_economy(google, config):
    fake, ports = google

    result = run_sync(ports(), config, SAMPLE_NOW)

    forms = len(fake.forms)
    pages = sum(len(p) for p in fake.pages.values())
    counts = summary_counts(result)
    written = counts["checklists"]["written"]
    reachable = written + counts["checklists"].get(
        "layout not recognised: nothing written", 0
    )
    emails = len(result.emails_sent)
    assert fake.count("forms.get") == forms
    assert fake.count("forms.responses.list") == pages
    assert len(_checklist_ids(fake)) == reachable
    for sheet_id in _checklist_ids(fake):
        assert fake.count(SHEETS_READ, sheet_id) == 1, sheet_id
        assert fake.count("sheets.values.batchUpdate", sheet_id) <= 1, sheet_id
        # The sample's checklists have no "Activity log" tab yet.
        assert fake.count("sheets.batchUpdate", sheet_id) <= 1, sheet_id
    assert (
        fake.count("sheets.values.batchUpdate")
        - fake.count("sheets.values.batchUpdate", CONTROL_ID)
        == written
    )
    assert fake.count("gmail.send") == emails
    # State: one read; one claim per email before it is handed over, one
    # final write, and one request adding the state tabs to a new sheet.
    assert fake.count(SHEETS_READ, CONTROL_ID) == 1
    assert fake.count("sheets.values.batchUpdate", CONTROL_ID) == emails + 1
    assert fake.count("sheets.batchUpdate", CONTROL_ID) == 1
    assert fake.count("token") == 2
    print("first run:", fake.summary())


def test_second_run_with_nothing_new_writes_nothing(google, config):
    fake, ports = google
    run_sync(ports(), config, SAMPLE_NOW)
    cells = {
        sid: [list(r) for r in tabs.get("Checklist", [])]
        for sid, tabs in fake.spreadsheets.items()
    }
    fake.calls.clear()

    again = run_sync(ports(), config, SAMPLE_NOW)

    assert fake.writes() == []
    lists = [c for c in fake.calls if c.action == "forms.responses.list"]
    assert len(lists) == len(fake.forms)
    assert all("filter=timestamp" in c.url for c in lists)
    assert (
        summary_counts(again)["emails_sent"]
        == EXPECTED["second_run_same_now"]["emails"]
    )
    assert again.responses_held == 114
    assert {
        sid: tabs.get("Checklist", []) for sid, tabs in fake.spreadsheets.items()
    } == cells
    print("second run:", fake.summary())


def test_second_run_later_still_sends_a_reminder_from_held_responses(google, config):
    fake, ports = google
    run_sync(ports(), config, SAMPLE_NOW)
    fake.calls.clear()
    later = SAMPLE_NOW + dt.timedelta(days=60)

    again = run_sync(ports(), config, later)

    assert again.responses_held == 114
    assert "reminder" in {event for _, event, _ in again.emails_sent}
    lists = [c for c in fake.calls if c.action == "forms.responses.list"]
    assert all("filter=timestamp" in c.url for c in lists)
    print("later run:", fake.summary())
