"""Checklists as .xlsx files: ``checklists/<spreadsheet id>.xlsx``.

Each file has the participant's checklist tab and the "Activity log" tab, and
opens in LibreOffice or Excel. Writes go to a temporary file that replaces
the original in one rename, so a run that dies mid-write leaves the old
sheet, never half of a new one. Every text is stored as text: a value that
starts with ``=`` is never turned into a formula.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING

from pmc_sync import faults
from pmc_sync.checklist import CellChange
from pmc_sync.errors import ChecklistUnreachable


@dataclass
class SheetSnapshot:
    checklist: list[list[Any]]
    activity_log: list[list[Any]] | None


def _set(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = TYPE_STRING


class LocalSheets:
    """A folder of .xlsx files standing in for Google Sheets."""

    def __init__(self, folder: Path, activity_log_tab: str) -> None:
        self.folder = Path(folder)
        self.activity_log_tab = activity_log_tab

    def path(self, sheet_id: str) -> Path:
        return self.folder / f"{sheet_id}.xlsx"

    def _open(self, sheet_id: str):
        path = self.path(sheet_id)
        if not path.is_file():
            raise ChecklistUnreachable(f"checklist {sheet_id}: no such spreadsheet")
        try:
            return load_workbook(path)
        except Exception as exc:  # a corrupt file is an unreachable sheet
            raise ChecklistUnreachable(
                f"checklist {sheet_id}: cannot open ({exc})"
            ) from exc

    def _main_sheet(self, book):
        for sheet in book.worksheets:
            if sheet.title != self.activity_log_tab:
                return sheet
        raise ChecklistUnreachable("the spreadsheet has no checklist tab")

    def read(self, sheet_id: str) -> SheetSnapshot:
        book = self._open(sheet_id)
        main = [list(row) for row in self._main_sheet(book).iter_rows(values_only=True)]
        log = None
        if self.activity_log_tab in book.sheetnames:
            log = [
                list(r) for r in book[self.activity_log_tab].iter_rows(values_only=True)
            ]
        return SheetSnapshot(main, log)

    def write(
        self,
        sheet_id: str,
        changes: Sequence[CellChange],
        activity_log: list[list[str]] | None,
    ) -> None:
        book = self._open(sheet_id)
        main = self._main_sheet(book)
        for change in changes:
            _set(main.cell(row=change.row + 1, column=change.col + 1), change.new)
        faults.checkpoint("checklist_write")
        if activity_log is not None:
            if self.activity_log_tab in book.sheetnames:
                del book[self.activity_log_tab]
            tab = book.create_sheet(self.activity_log_tab)
            for r, row in enumerate(activity_log, start=1):
                for c, value in enumerate(row, start=1):
                    _set(tab.cell(row=r, column=c), value)
        path = self.path(sheet_id)
        tmp = path.with_suffix(".xlsx.tmp")
        book.save(tmp)
        os.replace(tmp, path)


def csv_to_xlsx(csv_path: Path, xlsx_path: Path, status_header: str) -> None:
    """Load a checklist exported as CSV (values only) into an .xlsx copy.

    The Status column holds checkboxes in the Google Sheet: its TRUE/FALSE
    texts become booleans. Everything else stays text.
    """
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    status_cols = {
        c for row in rows for c, v in enumerate(row) if v.strip() == status_header
    }
    book = Workbook()
    sheet = book.active
    sheet.title = "Checklist"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue
            if c - 1 in status_cols and value.upper() in ("TRUE", "FALSE"):
                sheet.cell(row=r, column=c, value=value.upper() == "TRUE")
            else:
                _set(sheet.cell(row=r, column=c), value)
    book.save(xlsx_path)
