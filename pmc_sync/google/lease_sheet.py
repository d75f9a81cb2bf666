"""The lease of cloud runs: a row in the control spreadsheet's "Lease" tab.

The same lease as ``pmc_sync.lease.LocalLease`` (an owner, a job, an
expiry), for runs that share no disk; ``pmc_sync.lease.hold`` holds either.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from pmc_sync.google.control_tabs import ControlTab
from pmc_sync.lease import DEFAULT_TTL_SECONDS, LeaseInfo, still_held

log = logging.getLogger(__name__)


class SheetLease:
    """The lease of cloud runs: row 2 of the control spreadsheet's "Lease" tab.

    Sheets has no compare-and-set, so taking the lease is write, wait, check:
    a run writes its row, waits ``settle_seconds``, and reads the row back;
    if another run wrote after it, that run holds the lease and this one
    backs off. Two runs whose writes land within ``settle_seconds`` of each
    other both read back the later row, so only its writer goes on.

    Args:
        http: gspread's HTTP client over the service's ``ApiSession``.
        spreadsheet_id: ``google.sheets.control_spreadsheet_id``.
        ttl_seconds: set it to the Cloud Run job's timeout: no run can hold
            the lease longer, so a killed run's lease lapses then.
    """

    TAB = "Lease"
    HEADER = ["Owner", "Job", "Expires at"]

    def __init__(
        self,
        http: Any,
        spreadsheet_id: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        *,
        settle_seconds: float = 5.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tab = ControlTab(http, spreadsheet_id, self.TAB, self.HEADER)
        self.spreadsheet_id = spreadsheet_id
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.settle = settle_seconds
        self.clock = clock
        self.sleep = sleep

    @property
    def where(self) -> str:
        return self.tab.where

    def _read(self) -> LeaseInfo | None:
        """The lease row, if it holds one."""
        row = ((self.tab.read() or [[]]) + [[]])[0] + ["", "", ""]
        try:
            expires = dt.datetime.fromisoformat(row[2]) if row[0] else None
        except ValueError:
            log.warning(
                "%s: unreadable 'Expires at' %r; taken over", self.where, row[2]
            )
            expires = None
        return LeaseInfo(row[0], row[1], expires) if expires else None

    def _write(self, row: list[str]) -> None:
        self.tab.write("A2", [row])

    def try_take(self, owner: str, job: str) -> LeaseInfo | None:
        current = self._read()
        if still_held(current, self.clock(), self.where):
            return current
        expires = self.clock() + self.ttl
        self._write([owner, job, expires.isoformat()])
        self.sleep(self.settle)
        after = self._read()
        if after is not None and after.owner != owner:
            log.info("%s: %s took the lease at the same time", self.where, after.owner)
            return after
        return None

    def release(self, owner: str) -> None:
        current = self._read()
        if current is not None and current.owner == owner:
            self._write(["", "", ""])
