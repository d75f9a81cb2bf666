"""Mail to staff (``mail.staff_address``): the weekly digest and the alerts.

The **digest** sums up a week: certificates completed, what needs staff
(the staff view's queue: flags, unmatched responses, unreachable
checklists...) and the runs that failed, with the participants they failed
for. Its Message-ID is derived from the ISO week, so a digest job re-run in
the same week sends nothing new.

An **alert** goes out when a run could not start (exit status 2), when one
participant failed three runs in a row, or when sending hit the daily limit:
one email per distinct problem, resent only when the problem is still there
a day later. The ``alerts`` table of the local state remembers what was sent
and when; a problem that is gone is forgotten, so its return alerts again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pmc_sync.config import Config
from pmc_sync.mail import header_safe, message_id
from pmc_sync.ports import Mailer
from pmc_sync.staff_view import QUEUE_KINDS, build_queue

log = logging.getLogger(__name__)

RESEND_AFTER = dt.timedelta(days=1)
FAILURES_IN_A_ROW = 3
COMPLETIONS = {"T1.complete": "Tier 1", "T2.complete": "Tier 2"}
_ALERTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT PRIMARY KEY,
    problem TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_sent TEXT NOT NULL,
    times_sent INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Alert:
    key: str  # one per distinct problem, e.g. "participant-failing:ana@x.edu"
    subject: str
    body: str  # what broke and what to do


def staff_message(
    config: Config, subject: str, body: str, key: str, seq: int, now: dt.datetime
) -> EmailMessage:
    """A plain-text email to the staff address, with a Message-ID of ``key``."""
    mail = config.mail
    message = EmailMessage()
    message["From"] = Address(
        header_safe(mail["from_name"]), addr_spec=mail["from_address"]
    )
    message["To"] = mail["staff_address"]
    message["Subject"] = header_safe(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(
        mail["staff_address"], key, seq, mail["message_id_domain"]
    )
    message.set_content(body)
    return message


def deliver_once(mailer: Mailer, message: EmailMessage) -> bool:
    """Hand ``message`` over unless its Message-ID already went; True if sent."""
    if mailer.was_delivered(str(message["Message-ID"])):
        return False
    mailer.deliver(message)
    return True


# Alerts.


def recent_summaries(state_path: Path, count: int) -> list[dict[str, Any]]:
    """The summaries of the last ``count`` finished runs, newest first."""
    if not Path(state_path).is_file():
        return []
    with sqlite3.connect(f"file:{state_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT summary FROM runs WHERE finished_at IS NOT NULL "
            "AND summary IS NOT NULL ORDER BY finished_at DESC, rowid DESC LIMIT ?",
            (count,),
        ).fetchall()
    return [json.loads(summary) for (summary,) in rows]


def alerts_for(
    error: Exception | None, held: str, summaries: list[dict[str, Any]]
) -> list[Alert]:
    """The problems a run ended with: its error, a paused send, repeat failures.

    ``summaries`` are the latest runs' summaries, newest first (this run's
    included).
    """
    alerts = []
    if error is not None:
        alerts.append(
            Alert(
                f"run-stopped:{type(error).__name__}",
                "pmc-sync: runs stop before doing anything",
                f"A pmc-sync run stopped before writing or sending anything:\n\n"
                f"  {error}\n\nWhat to do: fix what the message names, then run "
                "`pmc-sync check-config`; the next scheduled run catches up.",
            )
        )
    if held.startswith("sending paused"):
        alerts.append(
            Alert(
                "daily-limit",
                "pmc-sync: the mailbox hit its daily sending limit",
                f"Sending paused: {held}.\n\nWhat to do: nothing if it happens "
                "once (the next run sends the rest); if it recurs, ask for a "
                "higher limit or spread the sends over more runs.",
            )
        )
    recent = summaries[:FAILURES_IN_A_ROW]
    if len(recent) == FAILURES_IN_A_ROW:
        failing = set.intersection(
            *(set(s.get("failed_participants", [])) for s in recent)
        )
        for person in sorted(failing):
            alerts.append(
                Alert(
                    f"participant-failing:{person}",
                    f"pmc-sync: {person} failed {FAILURES_IN_A_ROW} runs in a row",
                    f"The last {FAILURES_IN_A_ROW} runs could not finish for "
                    f"{person} (their checklist or their email).\n\nWhat to do: "
                    f"see the run summary (`pmc-sync sync --participant {person}`"
                    " --dry-run) and the log lines for this participant; then "
                    f"`pmc-sync resync --participant {person}`.",
                )
            )
    return alerts


class AlertLog:
    """What alerts were sent and when: the ``alerts`` table of the state file."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute(_ALERTS_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def sent(self, key: str) -> tuple[dt.datetime, int] | None:
        row = self.db.execute(
            "SELECT last_sent, times_sent FROM alerts WHERE key = ?", (key,)
        ).fetchone()
        return (dt.datetime.fromisoformat(row[0]), row[1]) if row else None

    def record(self, alert: Alert, now: dt.datetime) -> None:
        self.db.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, 1) ON CONFLICT(key) DO UPDATE "
            "SET last_sent = excluded.last_sent, times_sent = times_sent + 1",
            (alert.key, alert.subject, now.isoformat(), now.isoformat()),
        )

    def forget_all_but(self, keys: set[str]) -> None:
        """Problems not among ``keys`` are over: their return alerts anew."""
        for (key,) in self.db.execute("SELECT key FROM alerts").fetchall():
            if key not in keys:
                self.db.execute("DELETE FROM alerts WHERE key = ?", (key,))


def send_alerts(
    alerts: list[Alert],
    alert_log: AlertLog,
    mailer: Mailer,
    config: Config,
    now: dt.datetime,
    *,
    complete: bool = True,
) -> list[str]:
    """Email each alert not sent in the last day; return the keys emailed.

    ``complete``: the alerts are every problem there is (a run that ended),
    so those not among them are over. A run that stopped early knows only
    its own problem and forgets nothing.
    """
    emailed = []
    for alert in alerts:
        before = alert_log.sent(alert.key)
        if before and now - before[0] < RESEND_AFTER:
            continue
        seq = (before[1] if before else 0) + 1
        message = staff_message(config, alert.subject, alert.body, alert.key, seq, now)
        try:
            deliver_once(mailer, message)
        except Exception as exc:  # an alert must never turn a run into a crash
            log.error("alert %s could not be sent: %s", alert.key, exc)
            continue
        alert_log.record(alert, now)
        emailed.append(alert.key)
        log.warning("alert sent to staff: %s", alert.subject)
    if complete:
        alert_log.forget_all_but({a.key for a in alerts})
    return emailed


# The weekly digest.


def digest_body(
    result: Any,
    ledger: pd.DataFrame,
    summaries: list[dict[str, Any]],
    now: dt.datetime,
    config: Config,
) -> str:
    """The digest's text: the week's completions, queue, and failed runs.

    ``result`` is a (dry) run's result as of ``now``; ``summaries`` are the
    week's run summaries.
    """
    since = (now - dt.timedelta(days=7)).astimezone(config.tz).date()
    progress = result.recon.progress
    done = progress[
        progress["requirement"].isin(list(COMPLETIONS))
        & progress["done"].astype(bool)
        & (pd.to_datetime(progress["completed_on"]).dt.date >= since)
    ]
    lines = [f"{config.program_name}: the week since {since.isoformat()}", ""]
    lines.append(f"Certificates completed: {len(done)}")
    for row in done.sort_values(["completed_on", "participant"]).itertuples():
        tier = COMPLETIONS[row.requirement]
        lines.append(f"  {row.participant}: {tier} on {row.completed_on:%Y-%m-%d}")
    queue = build_queue(result, ledger)
    lines += ["", f"Needs staff: {len(queue)} item(s)"]
    for kind, settle in QUEUE_KINDS.items():
        items = queue[queue["kind"] == kind]
        if items.empty:
            continue
        lines.append(f"  {kind} ({len(items)}): {settle}")
        for item in items.itertuples():
            response = f" (response {item.response_id})" if item.response_id else ""
            lines.append(f"    {item.participant or '-'}: {item.reason}{response}")
    failed_runs = [s for s in summaries if s.get("exit_code")]
    failures = Counter(p for s in summaries for p in s.get("failed_participants", []))
    lines += [
        "",
        f"Runs this week: {len(summaries)}, of which {len(failed_runs)} with "
        "failures",
    ]
    for person, times in failures.most_common():
        lines.append(f"  {person}: failed in {times} run(s)")
    lines += ["", "The staff view (staff/staff-view.xlsx) has the details."]
    return "\n".join(lines) + "\n"


def week_summaries(
    summaries: Callable[[int], list[dict[str, Any]]], now: dt.datetime
) -> list[dict[str, Any]]:
    """The summaries of the runs of the 7 days before ``now``."""
    since = (now - dt.timedelta(days=7)).isoformat()
    return [
        s
        for s in summaries(10_000)
        if str(s.get("now", "")) >= since and not s.get("dry_run")
    ]


class LocalStaffRecords:
    """Where a local workspace keeps what staff mail needs: ``state.sqlite``."""

    def __init__(self, state_path: Path) -> None:
        self.state_path = Path(state_path)

    def alert_log(self) -> AlertLog:
        return AlertLog(self.state_path)

    def summaries(self, count: int) -> list[dict[str, Any]]:
        return recent_summaries(self.state_path, count)
