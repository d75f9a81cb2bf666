"""The run state of cloud runs, kept in a control spreadsheet staff can see.

A Cloud Run job has no disk that survives it, so what the local workspace
keeps in ``state.sqlite`` and ``staff-decisions.xlsx`` lives here, one tab
each: the staff decisions (the same tabs as the local staff file), the
email ledger, the responses already read (the cache that lets a run read
only what is new), the last progress, the checklist outcomes and the run
history.

Request economy: the whole spreadsheet is read once per run (one
``spreadsheets.get``); changes are buffered and written in one
``values:batchUpdate`` when they must be durable: before each email is
handed to Gmail (the ledger's "sending" claim) and when the run finishes.
Only rows that differ from what was read are written, so a run that changes
nothing writes nothing. One run at a time: runs take the lease row of the
"Lease" tab first (``pmc_sync/google/lease_sheet.py``; README, "Deploying on
Google Workspace").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from pmc_sync.adapters.local_staff import TABS as DECISION_TABS
from pmc_sync.decisions import OPTIONAL_TABS, StaffDecisions, decisions_from_rows
from pmc_sync.due import LEDGER_COLUMNS
from pmc_sync.errors import StateUnavailable
from pmc_sync.google.sheets_api import GRID_FIELDS, quote_title
from pmc_sync.google.transport import error_details

log = logging.getLogger(__name__)

EMAILS = "Emails"
RESPONSES = "Responses"
PROGRESS = "Progress"
CHECKLISTS = "Checklists"
RUNS = "Runs"
STATE_TABS = {
    EMAILS: [
        "Participant",
        "Event",
        "Seq",
        "Message-ID",
        "State",
        "Sent on",
        "Recorded at",
        "Run",
    ],
    RESPONSES: ["Form", "Response ID", "Last submitted", "Response (JSON)"],
    PROGRESS: ["Participant", "Requirement", "Done", "Completed on", "Count"],
    CHECKLISTS: ["Participant", "Sheet ID", "Outcome", "Reason"],
    RUNS: ["Run", "Started at", "Finished at", "Now", "Job", "Exit code", "Summary"],
}
# A cell holds at most 50,000 characters; a long response spans several.
CELL_CHARS = 45_000


def stamp_key(stamp: str) -> str:
    """An RFC 3339 UTC time that compares correctly as text (fraction padded)."""
    head, _, frac = (stamp or "").rstrip("Z").partition(".")
    return f"{head}.{frac.ljust(9, '0')}Z" if head else ""


@dataclass
class Table:
    """One tab: its rows under the header (blank rows are deleted rows)."""

    title: str
    header: list[str]
    exists: bool
    rows: list[list[str]] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)
    widths: dict[int, int] = field(default_factory=dict)

    def live(self) -> list[tuple[int, list[str]]]:
        return [(i, r) for i, r in enumerate(self.rows) if any(v for v in r)]

    def put(self, index: int | None, values: list[str]) -> int:
        """Set row ``index`` (None: append); only a real change is written."""
        values = ["" if v is None else str(v) for v in values]
        if index is None:
            index = len(self.rows)
            self.rows.append([])
        old = self.rows[index]
        if _trimmed(old) == _trimmed(values):
            return index
        self.widths[index] = max(self.widths.get(index, len(old)), len(old))
        self.rows[index] = values
        self.dirty.add(index)
        return index


def _trimmed(row: list[str]) -> list[str]:
    row = list(row)
    while row and row[-1] == "":
        row.pop()
    return row


def _grid(sheet: dict[str, Any]) -> list[list[str]]:
    rows = []
    for data in sheet.get("data", [])[:1]:
        for row in data.get("rowData", []):
            rows.append(
                [str(c.get("formattedValue", "")) for c in row.get("values", [])]
            )
    return rows


class ControlSheet:
    """The control spreadsheet, read once per run, written in batches.

    Args:
        http: gspread's HTTP client over the service's ``ApiSession``.
        spreadsheet_id: ``google.sheets.control_spreadsheet_id``.
    """

    def __init__(self, http: HTTPClient, spreadsheet_id: str) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.tables: dict[str, Table] = {}
        self.read_only = True

    # Reading.

    def load(self) -> None:
        """Read every tab in one request."""
        try:
            spreadsheet = self.http.fetch_sheet_metadata(
                self.spreadsheet_id,
                params={"includeGridData": "true", "fields": GRID_FIELDS},
            )
        except APIError as exc:
            status = exc.response.status_code
            _, message = error_details(status, exc.response.content)
            raise StateUnavailable(
                f"control spreadsheet {self.spreadsheet_id}: cannot be read "
                f"(HTTP {status}: {message}); check "
                "google.sheets.control_spreadsheet_id in config/google.toml and "
                "share the spreadsheet with the service account as editor"
            ) from exc
        found = {
            s["properties"]["title"]: _grid(s) for s in spreadsheet.get("sheets", [])
        }
        self.tables = {}
        for title, header in {**DECISION_TABS, **STATE_TABS}.items():
            grid = found.get(title)
            self.tables[title] = Table(
                title=title,
                header=list(header),
                exists=grid is not None,
                rows=[list(r) for r in (grid or [])[1:]],
            )
        log.debug("control spreadsheet read: %s", sorted(found))

    def table(self, title: str) -> Table:
        if not self.tables:
            self.load()
        return self.tables[title]

    def decisions(self) -> StaffDecisions:
        """The staff decisions tabs; an unreadable row is reported and skipped."""
        return decisions_from_tabs(
            {t: self.table(t) for t in DECISION_TABS}, "control spreadsheet"
        )

    # Writing.

    def flush(self) -> None:
        """Write every buffered change: one request (two when tabs are added)."""
        if self.read_only:
            return
        dirty = [t for t in self.tables.values() if t.dirty]
        if not dirty:
            return
        missing = [t for t in self.tables.values() if not t.exists]
        try:
            if missing:
                self.http.batch_update(
                    self.spreadsheet_id,
                    {
                        "requests": [
                            {"addSheet": {"properties": {"title": t.title}}}
                            for t in missing
                        ]
                    },
                )
            data = []
            for table in self.tables.values():
                if not table.exists:
                    data.append(
                        {
                            "range": f"{quote_title(table.title)}!A1",
                            "values": [table.header],
                        }
                    )
                data += _ranges(table)
            self.http.values_batch_update(
                self.spreadsheet_id, {"valueInputOption": "RAW", "data": data}
            )
        except APIError as exc:
            status = exc.response.status_code
            _, message = error_details(status, exc.response.content)
            raise StateUnavailable(
                f"control spreadsheet {self.spreadsheet_id}: cannot record "
                f"(HTTP {status}: {message}); the service account needs edit "
                "access to it"
            ) from exc
        for table in self.tables.values():
            table.exists = True
            table.dirty.clear()
            table.widths.clear()

    def open_state(self, read_only: bool) -> ControlState:
        """Read the spreadsheet afresh and return this run's state."""
        self.load()
        self.read_only = read_only
        return ControlState(self)


def _ranges(table: Table) -> list[dict[str, Any]]:
    """Contiguous dirty rows as ranges, each row blank-padded over what was there."""
    ranges = []
    run: list[int] = []
    for index in sorted(table.dirty) + [None]:
        if run and (index is None or index != run[-1] + 1):
            width = max(max(len(table.rows[i]), table.widths.get(i, 0)) for i in run)
            values = [table.rows[i] + [""] * (width - len(table.rows[i])) for i in run]
            ranges.append(
                {"range": f"{quote_title(table.title)}!A{run[0] + 2}", "values": values}
            )
            run = []
        if index is not None:
            run.append(index)
    return ranges


class ControlState:
    """The state of one run, as ``pmc_sync.sync`` uses it (cf. ``SqliteState``)."""

    def __init__(self, sheet: ControlSheet) -> None:
        self.sheet = sheet
        self._run: tuple[int, list[str]] | None = None

    # The email ledger.

    def _emails(self) -> dict[tuple[str, str, int], tuple[int, list[str]]]:
        rows = {}
        for index, row in self.sheet.table(EMAILS).live():
            row = row + [""] * 8
            try:
                rows[(row[0], row[1], int(row[2]))] = (index, row)
            except ValueError:
                log.warning("control spreadsheet: Emails row %d: bad Seq", index + 2)
        return rows

    def ledger(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                [p, e, s, row[4], row[5]]
                for (p, e, s), (_, row) in self._emails().items()
            ],
            columns=LEDGER_COLUMNS,
        )

    def pending(self) -> list[tuple[str, str, int, str]]:
        return [
            (p, e, s, row[3])
            for (p, e, s), (_, row) in self._emails().items()
            if row[4] == "sending"
        ]

    def mark_sending(
        self,
        participant: str,
        event: str,
        seq: int,
        message_id: str,
        sent_on: str,
        run_id: str,
    ) -> bool:
        """Claim an email: recorded durably before it is handed to Gmail."""
        claim = (participant, event, seq, message_id, sent_on, run_id)
        return self.mark_sending_many([claim])[0]

    def mark_sending_many(
        self, claims: list[tuple[str, str, int, str, str, str]]
    ) -> list[bool]:
        """Claim several emails in one write; for each, False when already held.

        Each claim is (participant, event, seq, message_id, sent_on, run_id).
        Claiming a run's emails together is as safe as one by one: a run that
        dies before sending some of them leaves "sending" rows, and the next
        run asks Gmail about each before it makes them due again.
        """
        held = set(self._emails())
        table = self.sheet.table(EMAILS)
        claimed = []
        for participant, event, seq, message_id, sent_on, run_id in claims:
            key = (participant, event, seq)
            claimed.append(key not in held)
            if key in held:
                continue
            held.add(key)
            table.put(
                None,
                [participant, event, seq, message_id, "sending", sent_on]
                + [_utcnow(), run_id],
            )
        self.sheet.flush()
        return claimed

    def mark_sent(self, participant: str, event: str, seq: int) -> None:
        """Buffered: a crash before the next flush leaves "sending", which the
        next run settles by asking Gmail (``was_delivered``)."""
        found = self._emails().get((participant, event, seq))
        if found:
            index, row = found
            self.sheet.table(EMAILS).put(
                index, row[:4] + ["sent", row[5], _utcnow(), row[7]]
            )

    def forget_unsent(self, participant: str, event: str, seq: int) -> None:
        found = self._emails().get((participant, event, seq))
        if found and found[1][4] == "sending":
            self.sheet.table(EMAILS).put(found[0], [""] * 8)

    # The response cache (see pmc_sync.pull.ResponseCache).

    def _responses(self, form_key: str) -> dict[str, tuple[int, str, str]]:
        held = {}
        for index, row in self.sheet.table(RESPONSES).live():
            if row[0] == form_key and len(row) >= 4:
                held[row[1]] = (index, row[2], "".join(row[3:]))
        return held

    def cursor(self, form_key: str) -> str | None:
        stamps = [s for _, s, _ in self._responses(form_key).values() if s]
        return max(stamps, key=stamp_key) if stamps else None

    def merge(
        self, form_key: str, fresh: list[dict[str, Any]], full: bool
    ) -> list[dict[str, Any]]:
        """Keep the latest version of each response; a full read replaces all."""
        table = self.sheet.table(RESPONSES)
        held = self._responses(form_key)
        fresh_ids = {r.get("responseId", "") for r in fresh}
        if full:
            for rid, (index, _, _) in held.items():
                if rid not in fresh_ids:
                    table.put(index, [""] * len(table.rows[index]))
        for response in fresh:
            rid = response.get("responseId", "")
            stamp = (
                response.get("lastSubmittedTime") or response.get("createTime") or ""
            )
            payload = json.dumps(
                response, separators=(",", ":"), ensure_ascii=False, sort_keys=True
            )
            chunks = [
                payload[i : i + CELL_CHARS] for i in range(0, len(payload), CELL_CHARS)
            ]
            index = held[rid][0] if rid in held else None
            if rid in held and stamp_key(stamp) < stamp_key(held[rid][1]):
                continue
            index = table.put(index, [form_key, rid, stamp, *chunks])
            held[rid] = (index, stamp, payload)
        return [
            json.loads(payload) for _, _, payload in self._responses(form_key).values()
        ]

    def cursors(self) -> dict[str, str]:
        forms = {row[0] for _, row in self.sheet.table(RESPONSES).live()}
        return {form: self.cursor(form) or "" for form in sorted(forms)}

    def save_cursors(self, cursors: dict[str, str]) -> None:
        """Cursors are the newest response held per form: nothing to store."""

    # Progress, checklists, runs.

    def progress(self) -> pd.DataFrame:
        rows = []
        for _, row in self.sheet.table(PROGRESS).live():
            row = row + [""] * 5
            rows.append(
                [
                    row[0],
                    row[1],
                    int(row[2] or 0),
                    row[3] or None,
                    int(row[4] or 0),
                ]
            )
        return pd.DataFrame(
            rows,
            columns=["participant", "requirement", "done", "completed_on", "count"],
        )

    def save_progress(self, progress: pd.DataFrame) -> None:
        table = self.sheet.table(PROGRESS)
        at = {(r[0], r[1]): i for i, r in table.live()}
        wanted = set()
        for r in progress.itertuples(index=False):
            key = (r.participant, r.requirement)
            wanted.add(key)
            completed = (
                ""
                if pd.isna(r.completed_on)
                else pd.Timestamp(r.completed_on).date().isoformat()
            )
            table.put(
                at.get(key),
                [
                    r.participant,
                    r.requirement,
                    int(bool(r.done)),
                    completed,
                    int(r.count),
                ],
            )
        for key, index in at.items():
            if key not in wanted:
                table.put(index, [""] * 5)

    def save_checklist(
        self, participant: str, sheet_id: str | None, outcome: str, reason: str
    ) -> None:
        table = self.sheet.table(CHECKLISTS)
        at = {r[0]: i for i, r in table.live()}
        table.put(at.get(participant), [participant, sheet_id or "", outcome, reason])

    def start_run(self, run_id: str, now: dt.datetime, job: str) -> None:
        """Buffered with the run's first durable write (a run that changes
        nothing is not recorded; its log line is the record)."""
        self._run = (-1, [run_id, _utcnow(), "", now.isoformat(), job, "", ""])

    def finish_run(self, run_id: str, exit_code: int, summary: dict[str, Any]) -> None:
        changed = any(t.dirty for t in self.sheet.tables.values())
        did = summary.get("checklist_cells_written") or summary.get("emails_sent")
        if self._run is not None and (changed or did or exit_code):
            row = self._run[1]
            row[2] = _utcnow()
            row[5] = str(exit_code)
            row[6] = json.dumps(summary, default=str, sort_keys=True)
            self.sheet.table(RUNS).put(None, row)
        elif not changed:
            log.info("run %s changed nothing; not recorded in Runs", run_id)
        self.sheet.flush()

    def new_notices(self, notices: list[str]) -> list[str]:
        """Every notice, every run: the control spreadsheet keeps no record
        of notices (a new, unmapped form question is reported each run)."""
        return list(notices)

    def close(self) -> None:
        """Nothing buffered is written: an unfinished run's changes are redone
        by the next run, and its "sending" claims were written already."""


def decisions_from_tabs(tabs: dict[str, Table], source: str) -> StaffDecisions:
    """Staff decisions out of the control spreadsheet's tabs."""
    problems: list[str] = []

    def rows(title: str) -> list[tuple[int, list[str]]] | None:
        table = tabs.get(title)
        if table is None or not table.exists:
            return [] if title in OPTIONAL_TABS else None
        return [(i + 2, [v.strip() for v in r] + [""] * 3) for i, r in table.live()]

    return decisions_from_rows(rows, source, problems)


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
