"""Staff mail records in the control spreadsheet (cf. ``staff_mail``'s local ones).

The "Alerts" tab remembers each alert sent (Key, Problem, First seen, Last
sent, Times sent), as the ``alerts`` table does locally; the run history is
the "Runs" tab the run state writes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pmc_sync.google.control_sheet import RUNS, STATE_TABS
from pmc_sync.google.control_tabs import ControlTab
from pmc_sync.staff_mail import Alert

log = logging.getLogger(__name__)

ALERTS_TAB = "Alerts"
ALERTS_HEADER = ["Key", "Problem", "First seen", "Last sent", "Times sent"]


class SheetAlertLog:
    """What alerts were sent and when: the control spreadsheet's "Alerts" tab."""

    def __init__(self, http: Any, spreadsheet_id: str) -> None:
        self.tab = ControlTab(http, spreadsheet_id, ALERTS_TAB, ALERTS_HEADER)
        rows = self.tab.read() or []
        self.next_row = len(rows) + 2
        self.rows = {
            row[0]: (number, row + [""] * len(ALERTS_HEADER))
            for number, row in enumerate(rows, start=2)
            if row and row[0]
        }

    def close(self) -> None:
        """Every change was written when made."""

    def sent(self, key: str) -> tuple[dt.datetime, int] | None:
        found = self.rows.get(key)
        if found is None:
            return None
        row = found[1]
        try:
            return dt.datetime.fromisoformat(row[3]), int(row[4] or 0)
        except ValueError:
            log.warning("%s: row %d unreadable; sent again", self.tab.where, found[0])
            return None

    def record(self, alert: Alert, now: dt.datetime) -> None:
        number, row = self.rows.get(alert.key, (self.next_row, None))
        if row is None:
            self.next_row += 1
            first, times = now.isoformat(), 0
        else:
            first, times = row[2], int(row[4] or 0)
        values = [alert.key, alert.subject, first, now.isoformat(), str(times + 1)]
        self.tab.write(f"A{number}", [values])
        self.rows[alert.key] = (number, values)

    def forget_all_but(self, keys: set[str]) -> None:
        for key, (number, _) in list(self.rows.items()):
            if key not in keys:
                self.tab.write(f"A{number}", [[""] * len(ALERTS_HEADER)])
                del self.rows[key]


class SheetStaffRecords:
    """The alerts sent and the run history, in the control spreadsheet."""

    def __init__(self, http: Any, spreadsheet_id: str) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id

    def alert_log(self) -> SheetAlertLog:
        return SheetAlertLog(self.http, self.spreadsheet_id)

    def summaries(self, count: int) -> list[dict[str, Any]]:
        """The summaries of the last ``count`` recorded runs, newest first."""
        runs = ControlTab(self.http, self.spreadsheet_id, RUNS, STATE_TABS[RUNS])
        finished = []
        for row in runs.read() or []:
            row = row + [""] * len(STATE_TABS[RUNS])
            try:
                finished.append((row[2], json.loads(row[6])))
            except ValueError:
                continue  # a blank or hand-edited row
        finished.sort(key=lambda pair: pair[0], reverse=True)
        return [summary for _, summary in finished[:count]]
