"""The "Resync" tab of the local staff file: staff ask, the next run answers.

Staff who never open a terminal add a row to the tab "Resync" of
``staff-decisions.xlsx`` (Participant email, Requested by, Requested at);
the next sync run re-reads every form in full, rewrites that participant's
checklist, sends what is due, and fills "Done at". A row with "Done at" is
history and is not honoured again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from pmc_sync.decisions import normalise_email

log = logging.getLogger(__name__)

RESYNC_TAB = "Resync"
RESYNC_HEADER = ["Participant email", "Requested by", "Requested at", "Done at"]
DONE_COLUMN = RESYNC_HEADER.index("Done at") + 1


@dataclass(frozen=True)
class ResyncRequest:
    row: int  # the row number in the tab, as staff see it
    participant: str
    requested_by: str


class LocalResyncRequests:
    """The pending rows of the "Resync" tab of one staff file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def pending(self) -> list[ResyncRequest]:
        """Rows without "Done at"; none when the file or tab is missing."""
        book = self._open(read_only=True)
        if book is None:
            return []
        try:
            if RESYNC_TAB not in book.sheetnames:
                return []
            found = []
            rows = book[RESYNC_TAB].iter_rows(min_row=2, values_only=True)
            for number, row in enumerate(rows, start=2):
                values = [("" if v is None else str(v).strip()) for v in row]
                values += [""] * (len(RESYNC_HEADER) - len(values))
                email = normalise_email(values[0])
                if email and not values[DONE_COLUMN - 1]:
                    found.append(ResyncRequest(number, email, values[1]))
            return found
        finally:
            book.close()

    def ensure_tab(self) -> None:
        """Add the tab (header only) to a staff file made before it existed."""
        book = self._open(read_only=False)
        if book is None or RESYNC_TAB in book.sheetnames:
            return
        book.create_sheet(RESYNC_TAB).append(RESYNC_HEADER)
        self._save(book)
        log.info("%s: added the %r tab", self.path.name, RESYNC_TAB)

    def mark_done(self, requests: list[ResyncRequest], done_at: str) -> None:
        """Fill "Done at" of each request's row (one save, one rename)."""
        if not requests:
            return
        book = load_workbook(self.path)
        sheet = book[RESYNC_TAB]
        for request in requests:
            # Staff may have moved rows while the run ran: check it is theirs.
            if normalise_email(sheet.cell(row=request.row, column=1).value) != (
                request.participant
            ):
                log.warning(
                    "%s: %s row %d changed during the run; left for the next run",
                    self.path.name,
                    RESYNC_TAB,
                    request.row,
                )
                continue
            sheet.cell(row=request.row, column=DONE_COLUMN, value=done_at)
        self._save(book)

    def _open(self, read_only: bool):
        """The workbook, or None when missing or unreadable (the run's reading
        of the staff decisions reports that, and holds the run)."""
        if not self.path.is_file():
            return None
        try:
            return load_workbook(self.path, read_only=read_only, data_only=read_only)
        except Exception as exc:  # any unreadable file: no requests from it
            log.warning("%s: cannot be read (%s); no resync requests", self.path, exc)
            return None

    def _save(self, book) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        book.save(tmp)
        os.replace(tmp, self.path)
