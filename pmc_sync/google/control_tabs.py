"""Tabs of the control spreadsheet read and written on their own.

``ControlSheet`` reads the whole spreadsheet once per run and writes in
batches; the lease and the staff's resync requests need the opposite: a
fresh read of one tab at a precise moment, and a write at once. This module
does that for one tab, the way ``ControlSheet`` does it (one
``spreadsheets.get``, one ``values:batchUpdate``, an ``addSheet`` first when
the tab is missing).
"""

from __future__ import annotations

from typing import Any

from gspread.exceptions import APIError

from pmc_sync.errors import StateUnavailable
from pmc_sync.google.sheets_api import GRID_FIELDS, quote_title


class ControlTab:
    """One tab (``title``, with ``header`` in row 1) of the control spreadsheet."""

    def __init__(
        self, http: Any, spreadsheet_id: str, title: str, header: list[str]
    ) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.header = header
        self.exists: bool | None = None  # known after the first read

    @property
    def where(self) -> str:
        return f"control spreadsheet {self.spreadsheet_id}, tab {self.title!r}"

    def read(self) -> list[list[str]] | None:
        """The rows under the header, as text; None when the tab is missing."""
        try:
            spreadsheet = self.http.fetch_sheet_metadata(
                self.spreadsheet_id,
                params={"includeGridData": "true", "fields": GRID_FIELDS},
            )
        except APIError as exc:
            raise self._unavailable("read", exc) from exc
        self.exists = False
        for sheet in spreadsheet.get("sheets", []):
            if sheet["properties"]["title"] == self.title:
                self.exists = True
                return [
                    [str(c.get("formattedValue", "")) for c in row.get("values", [])]
                    for data in sheet.get("data", [])[:1]
                    for row in data.get("rowData", [])
                ][1:]
        return None

    def write(self, cell: str, rows: list[list[str]]) -> None:
        """Write ``rows`` from ``cell`` (e.g. "A2"); adds the tab when missing."""
        data = [{"range": f"{quote_title(self.title)}!{cell}", "values": rows}]
        try:
            if self.exists is None:
                self.read()
            if not self.exists:
                self.http.batch_update(
                    self.spreadsheet_id,
                    {"requests": [{"addSheet": {"properties": {"title": self.title}}}]},
                )
                data.insert(
                    0,
                    {"range": f"{quote_title(self.title)}!A1", "values": [self.header]},
                )
                self.exists = True
            self.http.values_batch_update(
                self.spreadsheet_id, {"valueInputOption": "RAW", "data": data}
            )
        except APIError as exc:
            raise self._unavailable("write", exc) from exc

    def _unavailable(self, verb: str, exc: APIError) -> StateUnavailable:
        return StateUnavailable(
            f"{self.where}: cannot {verb} (HTTP {exc.response.status_code}); "
            "the service account needs edit access to the control spreadsheet"
        )
