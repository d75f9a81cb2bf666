"""Staff decisions as a spreadsheet staff edit: ``staff-decisions.xlsx``.

One tab per kind of decision, a header row, one decision per row. It is the
same shape as the tabs of a control spreadsheet on Google, so staff learn
one thing. A row that cannot be read is reported and skipped; the rest load.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING

from pmc_sync.decisions import (
    OPTIONAL_TABS,
    StaffDecisions,
    decisions_from_rows,
)

TABS = {
    "Elective approvals": ["Response ID", "Approved by", "Note"],
    "Fundamentals substitutions": ["Participant email", "Approved on", "Note"],
    "Aliases": ["Other address", "Participant email"],
    "Withdrawn": ["Participant email", "Note"],
    "Dismissed unmatched": ["Response ID", "Note"],
    "Checklist copies": ["Participant email", "Spreadsheet ID"],
    "Acknowledged flags": ["Participant email", "Flag", "Note"],
}
_HELD = "nothing written or sent until it is fixed"
ABOUT = [
    ["Staff decisions for pmc-sync"],
    ["Each tab holds one kind of decision, one per row, under the header row."],
    ["The next sync run reads this file; delete a row to undo a decision."],
    ["Dates are YYYY-MM-DD. Response IDs are shown in the sync report."],
]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def write_decisions(path: Path, decisions: StaffDecisions) -> None:
    """Write decisions to a new staff file."""
    book = Workbook()
    about = book.active
    about.title = "About"
    for row in ABOUT:
        about.append(row)
    rows = {
        "Elective approvals": [
            [r, "", ""] for r in sorted(decisions.elective_approvals)
        ],
        "Fundamentals substitutions": [
            [s.email, s.approved_on.isoformat(), s.note]
            for s in decisions.substitutions
        ],
        "Aliases": [[k, v] for k, v in sorted(decisions.aliases.items())],
        "Withdrawn": [[e, ""] for e in sorted(decisions.withdrawn)],
        "Dismissed unmatched": [[r, ""] for r in sorted(decisions.dismissed_unmatched)],
        "Checklist copies": [[k, v] for k, v in sorted(decisions.checklists.items())],
        "Acknowledged flags": [
            [p, f, ""] for p, f in sorted(decisions.acknowledged_flags)
        ],
    }
    for title, header in TABS.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows[title]:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                cell.data_type = TYPE_STRING
    book.save(path)


def read_decisions(path: Path) -> StaffDecisions:
    """Read the staff file; unreadable rows land in ``problems``."""
    name = Path(path).name
    if not Path(path).is_file():
        return StaffDecisions(
            problems=(f"{name}: not found; {_HELD}",), unreadable=True
        )
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any unreadable file: report, apply none
        return StaffDecisions(
            problems=(f"{name}: cannot be read ({exc}); {_HELD}",), unreadable=True
        )
    problems: list[str] = []

    def rows(title: str) -> list[tuple[int, list[str]]] | None:
        if title not in book.sheetnames:
            return [] if title in OPTIONAL_TABS else None
        out = []
        for number, row in enumerate(
            book[title].iter_rows(min_row=2, values_only=True), start=2
        ):
            values = [_text(v) for v in row]
            if any(values):
                out.append((number, values + [""] * 3))
        return out

    decisions = decisions_from_rows(rows, name, problems)
    book.close()
    return decisions
