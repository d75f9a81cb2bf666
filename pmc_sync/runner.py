"""One scheduled or manual run around ``run_sync``: lease, resync rows, alerts.

The command line opens the ports and maps errors to exit statuses; this
module holds what happens around the run itself, for either backend:

- ``lease_for``: the workspace's lease file, or the control spreadsheet's
  lease row (``PMC_SYNC_LEASE_SECONDS`` long);
- ``resync_requests`` and ``run_honouring``: the staff's "Resync" rows make
  the run re-read everything, and get their "Done at" when it covered them;
- ``staff_records`` and ``alert_staff``: the alerts of a run that ended,
  remembered in the local state or the control spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path

from pmc_sync.adapters.local_resync import LocalResyncRequests
from pmc_sync.decisions import normalise_email
from pmc_sync.errors import PmcSyncError
from pmc_sync.lease import DEFAULT_TTL_SECONDS, LocalLease
from pmc_sync.staff_mail import (
    FAILURES_IN_A_ROW,
    LocalStaffRecords,
    alerts_for,
    send_alerts,
)
from pmc_sync.sync import RunResult, run_sync, summary_counts
from pmc_sync.workspace import STAFF_FILE

log = logging.getLogger(__name__)

# How long a run's lease lasts; on Cloud Run, the job's timeout.
LEASE_SECONDS_ENV = "PMC_SYNC_LEASE_SECONDS"


def resync_requests(backend: str, workspace: Path, ports, google_config):
    """The staff's "Resync" tab: in the staff file, or the control spreadsheet."""
    if backend != "google":
        return LocalResyncRequests(Path(workspace) / STAFF_FILE)
    from pmc_sync.google import load_google_settings
    from pmc_sync.google.resync_sheet import SheetResyncRequests

    settings = load_google_settings(google_config)
    return SheetResyncRequests(ports.sheets.http, settings.control_spreadsheet_id)


def lease_for(backend: str, workspace: Path, ports, google_config: Path | None):
    """The workspace's lease file, or the control spreadsheet's lease row."""
    seconds = float(os.environ.get(LEASE_SECONDS_ENV) or DEFAULT_TTL_SECONDS)
    if backend != "google":
        return LocalLease(workspace, ttl_seconds=seconds)
    from pmc_sync.google import load_google_settings
    from pmc_sync.google.lease_sheet import SheetLease

    settings = load_google_settings(google_config)
    return SheetLease(
        ports.sheets.http, settings.control_spreadsheet_id, ttl_seconds=seconds
    )


def staff_records(backend: str, workspace: Path, ports, google_config):
    """Where the alerts sent and the run history are: local state or control sheet."""
    if backend != "google":
        return LocalStaffRecords(Path(workspace) / "state.sqlite")
    from pmc_sync.google import load_google_settings
    from pmc_sync.google.staff_sheet import SheetStaffRecords

    settings = load_google_settings(google_config)
    return SheetStaffRecords(ports.sheets.http, settings.control_spreadsheet_id)


def alert_staff(
    target,
    records,
    config,
    now: dt.datetime,
    *,
    result: RunResult | None = None,
    error: Exception | None = None,
) -> None:
    """Email staff about what this run ended with.

    The run's own summary leads the history even where the run history
    keeps only some runs (the control spreadsheet skips runs that changed
    nothing). An alert that cannot be sent is logged; it never changes the
    exit status.
    """
    ports = target.ports() if hasattr(target, "ports") else target
    try:
        history = []
        if result is not None:
            mine = summary_counts(result)
            history = [mine] + [
                s
                for s in records.summaries(FAILURES_IN_A_ROW + 1)
                if s.get("run_id") != mine["run_id"]
            ]
        alerts = alerts_for(error, result.held if result else "", history)
        alert_log = records.alert_log()
        try:
            send_alerts(
                alerts, alert_log, ports.mail, config, now, complete=error is None
            )
        finally:
            alert_log.close()
    except (sqlite3.Error, OSError, PmcSyncError) as exc:
        log.error("staff alerts could not be sent (%s)", exc)


def run_honouring(
    requests,
    ports,
    config,
    now: dt.datetime,
    *,
    participant: str | None = None,
    full: bool = False,
    **options,
) -> RunResult:
    """A run that also answers the staff's "Resync" rows it covers.

    Pending rows make the run re-read every form in full; each row whose
    participant the run covered without failing gets its "Done at".
    """
    requests.ensure_tab()
    only = normalise_email(participant) if participant else None
    pending = [r for r in requests.pending() if only in (None, r.participant)]
    result = run_sync(
        ports,
        config,
        now,
        participant=participant,
        full=full or bool(pending),
        **options,
    )
    if result.held:
        return result
    done = [r for r in pending if r.participant not in result.failed_participants]
    for request in done:
        if request.participant not in result.recon.participants.index:
            result.problems.append(
                {
                    "where": f"{STAFF_FILE}, Resync row {request.row}",
                    "problem": f"{request.participant}: no registration for this "
                    "address; nothing to resync",
                }
            )
    try:
        requests.mark_done(done, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    except OSError as exc:  # e.g. the file is open in Excel on Windows
        result.problems.append({"where": STAFF_FILE, "problem": str(exc)})
    return result
