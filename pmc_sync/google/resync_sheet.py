"""The "Resync" tab of the control spreadsheet (cf. ``adapters.local_resync``).

Staff add a row (Participant email, Requested by, Requested at); the next
sync run re-reads every form in full, covers that participant, and fills
"Done at". The tab is added, header only, by the first run that misses it.
"""

from __future__ import annotations

import logging
from typing import Any

from pmc_sync.adapters.local_resync import (
    DONE_COLUMN,
    RESYNC_HEADER,
    RESYNC_TAB,
    ResyncRequest,
)
from pmc_sync.decisions import normalise_email
from pmc_sync.google.control_tabs import ControlTab

log = logging.getLogger(__name__)
DONE_LETTER = "ABCDEFGHIJ"[DONE_COLUMN - 1]


class SheetResyncRequests:
    """The pending rows of the control spreadsheet's "Resync" tab."""

    def __init__(self, http: Any, spreadsheet_id: str) -> None:
        self.tab = ControlTab(http, spreadsheet_id, RESYNC_TAB, RESYNC_HEADER)

    def _rows(self) -> list[tuple[int, list[str]]]:
        rows = self.tab.read() or []
        return [
            (number, row + [""] * (len(RESYNC_HEADER) - len(row)))
            for number, row in enumerate(rows, start=2)
        ]

    def pending(self) -> list[ResyncRequest]:
        return [
            ResyncRequest(number, normalise_email(row[0]), row[1].strip())
            for number, row in self._rows()
            if normalise_email(row[0]) and not row[DONE_COLUMN - 1].strip()
        ]

    def ensure_tab(self) -> None:
        if self.tab.read() is None:
            self.tab.write("A1", [RESYNC_HEADER])
            log.info("%s: added", self.tab.where)

    def mark_done(self, requests: list[ResyncRequest], done_at: str) -> None:
        """Fill "Done at" of each request whose row still names its participant."""
        if not requests:
            return
        now = dict(self._rows())
        for request in requests:
            row = now.get(request.row)
            if row is None or normalise_email(row[0]) != request.participant:
                log.warning(
                    "%s row %d changed during the run; left for the next run",
                    self.tab.where,
                    request.row,
                )
                continue
            self.tab.write(f"{DONE_LETTER}{request.row}", [[done_at]])
