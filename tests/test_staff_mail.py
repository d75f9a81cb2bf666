"""Mail to staff: the weekly digest and the alerts, each sent once."""

from __future__ import annotations

import email
import json
import sqlite3
from email import policy

from click.testing import CliRunner

import pmc_sync
from conftest import EXPECTED
from pmc_sync.cli import cli
from pmc_sync.staff_mail import alerts_for

NOW = EXPECTED["now"]
STAFF = "postdoc-mentoring@example.edu"
NOBODY = "nobody@example.edu"


def _cli(workspace, *args, now=NOW):
    return CliRunner().invoke(cli, [*args, "-w", str(workspace.root), "--now", now])


def _staff_mail(workspace):
    found = []
    for path in sorted((workspace.root / "outbox").glob(f"{STAFF}--*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((message["Subject"], message.get_content()))
    return found


def _deliveries(workspace):
    log = workspace.root / "outbox" / "deliveries.log"
    return [line.split("\t")[1] for line in log.read_text().splitlines()]


def test_the_digest_goes_once_a_week_with_the_weeks_failures(sample_workspace):
    assert _cli(sample_workspace, "sync").exit_code == 0
    assert _cli(sample_workspace, "sync", "--participant", NOBODY).exit_code == 1

    sent = _cli(sample_workspace, "digest")
    again = _cli(sample_workspace, "digest")

    assert sent.exit_code == 0, sent.output
    assert f"digest sent to {STAFF}" in sent.output
    assert "digest already sent" in again.output
    ((subject, body),) = _staff_mail(sample_workspace)
    assert subject.endswith("weekly digest, 2026-W49")
    assert "Needs staff:" in body and "checklist_unreachable" in body
    assert "Runs this week: 2, of which 1 with failures" in body
    assert f"{NOBODY}: failed in 1 run(s)" in body
    assert len(_deliveries(sample_workspace)) == len(set(_deliveries(sample_workspace)))


def test_the_digest_dry_run_prints_and_sends_nothing(sample_workspace):
    result = _cli(sample_workspace, "digest", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Subject: Postdoc Mentoring Certificate: weekly digest" in result.output
    assert not _staff_mail(sample_workspace)


def test_three_failures_in_a_row_alert_once_a_day_while_they_last(sample_workspace):
    for _ in range(2):
        _cli(sample_workspace, "sync", "--participant", NOBODY)
    assert not _staff_mail(sample_workspace)

    _cli(sample_workspace, "sync", "--participant", NOBODY)
    _cli(sample_workspace, "sync", "--participant", NOBODY)

    ((subject, body),) = _staff_mail(sample_workspace)
    assert subject == f"pmc-sync: {NOBODY} failed 3 runs in a row"
    assert "What to do" in body and f"resync --participant {NOBODY}" in body

    _cli(sample_workspace, "sync", "--participant", NOBODY, now="2026-12-01T19:00:00Z")
    assert len(_staff_mail(sample_workspace)) == 2  # still there a day later

    _cli(sample_workspace, "sync", now="2026-12-01T19:30:00Z")  # over
    _cli(sample_workspace, "sync", now="2026-12-01T19:45:00Z")
    assert len(_staff_mail(sample_workspace)) == 2


def test_a_run_that_cannot_start_alerts_staff_once(sample_workspace):
    path = sample_workspace.root / "forms" / "registration.json"
    form = json.loads(path.read_text())
    next(i for i in form["items"] if i.get("title") == "Full name")["title"] = "Name"
    path.write_text(json.dumps(form))

    first = _cli(sample_workspace, "sync")
    second = _cli(sample_workspace, "sync")

    assert (first.exit_code, second.exit_code) == (2, 2)
    ((subject, body),) = _staff_mail(sample_workspace)
    assert subject == "pmc-sync: runs stop before doing anything"
    assert "no question titled 'Full name'" in body
    assert "pmc-sync check-config" in body


def test_a_paused_send_is_an_alert_and_a_clean_run_is_none():
    (alert,) = alerts_for(None, "sending paused; 4 email(s) wait for a later run", [])

    assert alert.key == "daily-limit"
    assert "4 email(s) wait" in alert.body
    assert alerts_for(None, "", [{"failed_participants": []}] * 3) == []


def test_the_run_history_records_job_counts_failures_and_version(sample_workspace):
    _cli(sample_workspace, "sync", "--participant", NOBODY)

    with sqlite3.connect(sample_workspace.root / "state.sqlite") as db:
        ((job, started, finished, code, summary),) = db.execute(
            "SELECT job, started_at, finished_at, exit_code, summary FROM runs"
        ).fetchall()
    summary = json.loads(summary)
    assert (job, code) == ("sync", 1) and started <= finished
    assert summary["version"] == pmc_sync.__version__
    assert summary["failed_participants"] == [NOBODY]
    assert summary["emails_sent"] == 0
