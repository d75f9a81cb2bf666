"""Participants' checklists in Google Sheets, through gspread 6.

One read per checklist: ``spreadsheets.get`` with grid data, restricted by a
field mask to each cell's formatted value, returns every tab in one request
even when the "Activity log" tab does not exist yet (a ``values:batchGet``
naming that tab would fail as a whole and cost a second read). One write per
checklist: ``values:batchUpdate`` with ``valueInputOption=RAW`` and only the
changed cells, so nothing a participant types is ever turned into a formula;
plus one ``batchUpdate`` adding the "Activity log" tab when it is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.utils import rowcol_to_a1

from pmc_sync.checklist import CellChange
from pmc_sync.errors import ChecklistUnreachable
from pmc_sync.google.errors import GoogleApiError
from pmc_sync.google.transport import error_details

log = logging.getLogger(__name__)

GRID_FIELDS = (
    "sheets(properties(sheetId,title,index),data(rowData(values(formattedValue))))"
)


@dataclass
class SheetSnapshot:
    """What one read found: both tabs' values and where they live."""

    checklist: list[list[Any]]
    activity_log: list[list[Any]] | None
    checklist_title: str = ""


def quote_title(title: str) -> str:
    """A tab title as A1 notation wants it: in single quotes, quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def _grid(sheet: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for data in sheet.get("data", [])[:1]:
        for row in data.get("rowData", []):
            values = [cell.get("formattedValue") for cell in row.get("values", [])]
            while values and values[-1] in (None, ""):
                values.pop()
            rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _cell(value: Any) -> Any:
    """A value for a RAW write: booleans stay booleans (checkboxes)."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class GoogleSheets:
    """Checklists as Google Sheets, shared by each participant with the service.

    Args:
        http: gspread's HTTP client over the service's ``ApiSession``.
        activity_log_tab: the title of the tab the sync owns.
        service_account: the address participants share their checklist with.
    """

    def __init__(
        self, http: HTTPClient, activity_log_tab: str, service_account: str
    ) -> None:
        self.http = http
        self.activity_log_tab = activity_log_tab
        self.service_account = service_account
        self._seen: dict[str, SheetSnapshot] = {}

    def _unreachable(self, sheet_id: str, exc: APIError) -> Exception:
        status = exc.response.status_code
        reason, message = error_details(status, exc.response.content)
        if status == HTTPStatus.FORBIDDEN:
            return ChecklistUnreachable(
                f"checklist {sheet_id}: not shared with {self.service_account} "
                f"(HTTP 403: {message}); the participant should share it with "
                "that address as editor"
            )
        if status == HTTPStatus.NOT_FOUND:
            return ChecklistUnreachable(
                f"checklist {sheet_id}: no such spreadsheet (HTTP 404); it was "
                "deleted or the link is wrong: the participant should send a "
                "link to their own copy"
            )
        if status == HTTPStatus.BAD_REQUEST and reason == "FAILED_PRECONDITION":
            # Sheets' answer for an id that is a Drive file of another kind,
            # e.g. an uploaded .xlsx or a Google Doc.
            return ChecklistUnreachable(
                f"checklist {sheet_id}: not a Google Sheets spreadsheet "
                f"({message}); the participant should send a link to their copy "
                "made with File > Make a copy"
            )
        return GoogleApiError(f"checklist {sheet_id}", status, reason, message)

    def read(self, sheet_id: str) -> SheetSnapshot:
        """Both tabs' values, in one request.

        Raises:
            ChecklistUnreachable: not shared with the service (403) or gone (404).
            GoogleApiError: any other failure, after retries.
        """
        try:
            spreadsheet = self.http.fetch_sheet_metadata(
                sheet_id, params={"includeGridData": "true", "fields": GRID_FIELDS}
            )
        except APIError as exc:
            raise self._unreachable(sheet_id, exc) from exc
        tabs = sorted(
            spreadsheet.get("sheets", []),
            key=lambda s: s.get("properties", {}).get("index", 0),
        )
        main = next(
            (t for t in tabs if t["properties"]["title"] != self.activity_log_tab),
            None,
        )
        if main is None:
            raise ChecklistUnreachable(
                f"checklist {sheet_id}: the spreadsheet has no checklist tab"
            )
        log_tab = next(
            (t for t in tabs if t["properties"]["title"] == self.activity_log_tab),
            None,
        )
        snapshot = SheetSnapshot(
            checklist=_grid(main),
            activity_log=None if log_tab is None else _grid(log_tab),
            checklist_title=main["properties"]["title"],
        )
        self._seen[sheet_id] = snapshot
        return snapshot

    def write(
        self,
        sheet_id: str,
        changes: Sequence[CellChange],
        activity_log: list[list[str]] | None,
    ) -> None:
        """Write the changed cells and, when given, the whole activity log.

        One ``values:batchUpdate`` (RAW); one ``batchUpdate`` before it when
        the "Activity log" tab has to be added. Cells of an older, longer log
        are blanked so no stale row survives.
        """
        snapshot = self._seen.get(sheet_id) or self.read(sheet_id)
        main = quote_title(snapshot.checklist_title)
        data = [
            {
                "range": f"{main}!{rowcol_to_a1(c.row + 1, c.col + 1)}",
                "values": [[_cell(c.new)]],
            }
            for c in changes
        ]
        try:
            if activity_log is not None:
                if snapshot.activity_log is None:
                    self.http.batch_update(
                        sheet_id,
                        {
                            "requests": [
                                {
                                    "addSheet": {
                                        "properties": {"title": self.activity_log_tab}
                                    }
                                }
                            ]
                        },
                    )
                    snapshot.activity_log = []
                data.append(
                    {
                        "range": f"{quote_title(self.activity_log_tab)}!A1",
                        "values": _padded(activity_log, snapshot.activity_log),
                    }
                )
            if data:
                self.http.values_batch_update(
                    sheet_id, {"valueInputOption": "RAW", "data": data}
                )
        except APIError as exc:
            raise self._unreachable(sheet_id, exc) from exc
        if activity_log is not None:
            snapshot.activity_log = [list(row) for row in activity_log]
        log.debug("checklist %s: %d ranges written", sheet_id, len(data))


def _padded(new: list[list[Any]], old: list[list[Any]]) -> list[list[Any]]:
    """``new`` widened and lengthened with blanks to cover every ``old`` cell."""
    width = max([len(r) for r in new] + [len(r) for r in old] + [0])
    height = max(len(new), len(old))
    rows = [[_cell(v) for v in row] for row in new]
    rows += [[] for _ in range(height - len(rows))]
    return [row + [""] * (width - len(row)) for row in rows]
