"""Incremental reads: new, edited and deleted responses after a first run."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import SAMPLE_NOW
from pmc_sync.sync import run_sync

LATER = SAMPLE_NOW + dt.timedelta(days=1)


def _pages(workspace, form):
    return sorted((workspace.root / "responses" / form).glob("page-*.json"))


def _append_page(workspace, form, responses):
    """Add a page after the last one, linked by nextPageToken, as the API would."""
    pages = _pages(workspace, form)
    last = json.loads(pages[-1].read_text())
    last["nextPageToken"] = f"token-{len(pages) + 1}"
    pages[-1].write_text(json.dumps(last))
    new = pages[-1].with_name(f"page-{len(pages) + 1:03d}.json")
    new.write_text(json.dumps({"responses": responses}))


def _find(workspace, form, suffix):
    for page in _pages(workspace, form):
        for response in json.loads(page.read_text())["responses"]:
            if response["responseId"].endswith(suffix):
                return page, response
    raise LookupError(suffix)


def _requirement(result, person, key):
    progress = result.recon.progress
    row = progress[
        (progress["participant"] == person) & (progress["requirement"] == key)
    ]
    return row.iloc[0]


@pytest.fixture
def after_first_run(sample_workspace, config):
    run_sync(sample_workspace, config, SAMPLE_NOW)
    return sample_workspace


def test_a_new_response_is_read_alone_and_acted_on(after_first_run, config):
    _, post = _find(after_first_run, "t1_post", "Gt6g2W")
    new = {
        **post,
        "responseId": "ACYDBN-new-avery-post",
        "respondentEmail": "avery.chen@example.edu",
        "createTime": "2026-12-01T17:00:00Z",
        "lastSubmittedTime": "2026-12-01T17:00:00Z",
    }
    _append_page(after_first_run, "t1_post", [new])

    result = run_sync(after_first_run, config, LATER)

    assert result.responses_read < 15  # the new one and each form's boundary
    assert result.responses_held == 115
    assert _requirement(result, "avery.chen@example.edu", "T1.post")["done"]
    assert result.emails_sent == [("avery.chen@example.edu", "t1_capstone_unlocked", 1)]


def test_an_edit_that_turns_a_monday_into_an_elective_stops_it_counting(
    after_first_run, config
):
    _, monday = _find(after_first_run, "reflection", "Flq3u-")  # Ibrahim, 10-19
    edited = json.loads(json.dumps(monday))
    edited["lastSubmittedTime"] = "2026-12-01T09:00:00Z"
    edited["answers"]["a0a10945"]["textAnswers"]["answers"][0][
        "value"
    ] = "Elective workshop"
    _append_page(after_first_run, "reflection", [edited])

    result = run_sync(after_first_run, config, LATER)

    mondays = _requirement(result, "ibrahim.musa@example.edu", "T1.mondays")
    assert mondays["count"] == 1
    log = result.recon.activities
    row = log[log["response_id"] == monday["responseId"]].iloc[0]
    assert (row["label"], row["counted"]) == ("Elective workshop", False)
    assert len(log[log["response_id"] == monday["responseId"]]) == 1


def test_a_deleted_response_stops_counting_on_a_full_read(after_first_run, config):
    page, monday = _find(after_first_run, "reflection", "7nFukL")  # Avery, 11-16
    data = json.loads(page.read_text())
    data["responses"] = [
        r
        for r in data["responses"]
        if r is not None and r["responseId"] != monday["responseId"]
    ]
    page.write_text(json.dumps(data))

    incremental = run_sync(after_first_run, config, LATER)
    assert _requirement(incremental, "avery.chen@example.edu", "T1.mondays")["done"]

    full = run_sync(after_first_run, config, LATER, full=True)

    mondays = _requirement(full, "avery.chen@example.edu", "T1.mondays")
    assert (mondays["done"], mondays["count"]) == (False, 3)
    assert full.emails_sent == []  # the unlock email stays sent, and is not re-sent
    ledger = after_first_run.state().ledger()
    assert ("avery.chen@example.edu", "t1_post_unlocked") in set(
        zip(ledger["participant"], ledger["event"])
    )
    plan = full.checklists["avery.chen@example.edu"]
    assert any(change.new is False for change in plan.changes)


def test_the_same_response_on_two_pages_counts_once(sample_workspace, config):
    _, monday = _find(sample_workspace, "reflection", "xZcDc5")  # Farah, 11-23
    _append_page(sample_workspace, "reflection", [monday])

    result = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert _requirement(result, "farah.haddad@example.edu", "T1.mondays")["count"] == 3
    log = result.recon.activities
    assert (log["response_id"] == monday["responseId"]).sum() == 1
