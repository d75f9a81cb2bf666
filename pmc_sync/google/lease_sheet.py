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

from gspread.exceptions import APIError

from pmc_sync.errors import StateUnavailable
from pmc_sync.google.sheets_api import GRID_FIELDS, quote_title
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
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.settle = settle_seconds
        self.clock = clock
        self.sleep = sleep

    @property
    def where(self) -> str:
        return f"control spreadsheet {self.spreadsheet_id}, tab {self.TAB!r}"

    def _read(self) -> tuple[bool, LeaseInfo | None]:
        """(whether the tab exists, the lease row if it holds one)."""
        try:
            spreadsheet = self.http.fetch_sheet_metadata(
                self.spreadsheet_id,
                params={"includeGridData": "true", "fields": GRID_FIELDS},
            )
        except APIError as exc:
            raise self._unavailable("read", exc) from exc
        for sheet in spreadsheet.get("sheets", []):
            if sheet["properties"]["title"] != self.TAB:
                continue
            rows = [
                [c.get("formattedValue", "") for c in row.get("values", [])]
                for data in sheet.get("data", [])[:1]
                for row in data.get("rowData", [])
            ]
            row = (rows[1] if len(rows) > 1 else []) + ["", "", ""]
            try:
                expires = dt.datetime.fromisoformat(row[2]) if row[0] else None
            except ValueError:
                log.warning(
                    "%s: unreadable 'Expires at' %r; taken over", self.where, row[2]
                )
                expires = None
            return True, LeaseInfo(row[0], row[1], expires) if expires else None
        return False, None

    def _write(self, exists: bool, row: list[str]) -> None:
        try:
            if not exists:
                self.http.batch_update(
                    self.spreadsheet_id,
                    {"requests": [{"addSheet": {"properties": {"title": self.TAB}}}]},
                )
            self.http.values_batch_update(
                self.spreadsheet_id,
                {
                    "valueInputOption": "RAW",
                    "data": [
                        {
                            "range": f"{quote_title(self.TAB)}!A1",
                            "values": [self.HEADER, row],
                        }
                    ],
                },
            )
        except APIError as exc:
            raise self._unavailable("write", exc) from exc

    def _unavailable(self, verb: str, exc: APIError) -> StateUnavailable:
        return StateUnavailable(
            f"{self.where}: cannot {verb} the lease (HTTP "
            f"{exc.response.status_code}); the service account needs edit access "
            "to the control spreadsheet"
        )

    def try_take(self, owner: str, job: str) -> LeaseInfo | None:
        exists, current = self._read()
        if still_held(current, self.clock(), self.where):
            return current
        expires = self.clock() + self.ttl
        self._write(exists, [owner, job, expires.isoformat()])
        self.sleep(self.settle)
        _, after = self._read()
        if after is not None and after.owner != owner:
            log.info("%s: %s took the lease at the same time", self.where, after.owner)
            return after
        return None

    def release(self, owner: str) -> None:
        exists, current = self._read()
        if current is not None and current.owner == owner:
            self._write(exists, ["", "", ""])
