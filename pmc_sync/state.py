"""Run state in SQLite: the ledger of emails, cursors, last progress, runs.

The ledger is what makes every email go out at most once. A send is
recorded as ``sending`` (committed) before the message is handed over and as
``sent`` after; a run that finds a ``sending`` row asks the mail adapter
whether that Message-ID was delivered before doing anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from pmc_sync import faults
from pmc_sync.due import LEDGER_COLUMNS
from pmc_sync.errors import StateUnavailable
from pmc_sync.pull import submitted_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS emails (
    participant TEXT NOT NULL,
    event TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),
    sent_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (participant, event, seq)
);
CREATE TABLE IF NOT EXISTS responses (
    form TEXT NOT NULL,
    response_id TEXT NOT NULL,
    last_submitted TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (form, response_id)
);
CREATE TABLE IF NOT EXISTS progress (
    participant TEXT NOT NULL,
    requirement TEXT NOT NULL,
    done INTEGER NOT NULL,
    completed_on TEXT,
    count INTEGER NOT NULL,
    PRIMARY KEY (participant, requirement)
);
CREATE TABLE IF NOT EXISTS checklists (
    participant TEXT PRIMARY KEY,
    sheet_id TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    notice TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    now TEXT NOT NULL,
    job TEXT NOT NULL,
    exit_code INTEGER,
    summary TEXT
);
"""


class SqliteState:
    """The state of every run, in one SQLite file."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        """Open (or create) the state; ``read_only`` never touches the file."""
        self.path = Path(path)
        try:
            if read_only:
                self.db = sqlite3.connect(":memory:", isolation_level=None)
                self.db.executescript(_SCHEMA)
                if self.path.is_file():
                    source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                    source.backup(self.db)
                    source.close()
                return
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StateUnavailable(
                f"{self.path}: cannot open the run state ({exc})"
            ) from exc

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, params: tuple = (), point: str = "state") -> None:
        try:
            faults.checkpoint(point)
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute(sql, params)
        except (sqlite3.Error, faults.InjectedFault) as exc:
            raise StateUnavailable(f"{self.path}: cannot record ({exc})") from exc

    # The email ledger.

    def ledger(self) -> pd.DataFrame:
        rows = self.db.execute(
            "SELECT participant, event, seq, state, sent_on FROM emails"
        ).fetchall()
        return pd.DataFrame(rows, columns=LEDGER_COLUMNS)

    def pending(self) -> list[tuple[str, str, int, str]]:
        return self.db.execute(
            "SELECT participant, event, seq, message_id FROM emails "
            "WHERE state = 'sending'"
        ).fetchall()

    def mark_sending(
        self,
        participant: str,
        event: str,
        seq: int,
        message_id: str,
        sent_on: str,
        run_id: str,
    ) -> bool:
        """Claim an email for sending; False when it is already in the ledger."""
        try:
            self._write(
                "INSERT INTO emails VALUES (?, ?, ?, ?, 'sending', ?, ?, ?)",
                (participant, event, seq, message_id, sent_on, _utcnow(), run_id),
                point="state.claim",
            )
        except StateUnavailable as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                return False
            raise
        return True

    def mark_sent(self, participant: str, event: str, seq: int) -> None:
        self._write(
            "UPDATE emails SET state = 'sent', recorded_at = ? "
            "WHERE participant = ? AND event = ? AND seq = ?",
            (_utcnow(), participant, event, seq),
        )

    def forget_unsent(self, participant: str, event: str, seq: int) -> None:
        self._write(
            "DELETE FROM emails WHERE participant = ? AND event = ? AND seq = ? "
            "AND state = 'sending'",
            (participant, event, seq),
        )

    # The response cache: every response seen, its latest version.

    def cursor(self, form_key: str) -> str | None:
        row = self.db.execute(
            "SELECT max(last_submitted) FROM responses WHERE form = ?", (form_key,)
        ).fetchone()
        return row[0] if row else None

    def merge(
        self, form_key: str, fresh: list[dict[str, Any]], full: bool
    ) -> list[dict[str, Any]]:
        """Keep the latest version of each response; a full read replaces all."""
        rows = [
            (
                form_key,
                r.get("responseId", ""),
                submitted_key(r),
                json.dumps(r, separators=(",", ":")),
            )
            for r in fresh
        ]
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                if full:
                    self.db.execute("DELETE FROM responses WHERE form = ?", (form_key,))
                self.db.executemany(
                    "INSERT INTO responses VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(form, response_id) DO UPDATE SET "
                    "last_submitted = excluded.last_submitted, "
                    "payload = excluded.payload "
                    "WHERE excluded.last_submitted >= responses.last_submitted",
                    rows,
                )
        except sqlite3.Error as exc:
            raise StateUnavailable(
                f"{self.path}: cannot store responses ({exc})"
            ) from exc
        if full:
            return fresh  # what was read is all there is: no need to re-read it
        payloads = self.db.execute(
            "SELECT payload FROM responses WHERE form = ? ORDER BY rowid", (form_key,)
        )
        return [json.loads(p) for (p,) in payloads]

    def new_notices(self, notices: list[str]) -> list[str]:
        """The notices not reported before (each is reported once), recorded."""
        seen = {n for (n,) in self.db.execute("SELECT notice FROM notices")}
        new = [n for n in notices if n not in seen]
        for notice in new:
            self._write("INSERT INTO notices VALUES (?, ?)", (notice, _utcnow()))
        return new

    # Progress, checklists, runs.

    def progress(self) -> pd.DataFrame:
        rows = self.db.execute(
            "SELECT participant, requirement, done, completed_on, count FROM progress"
        ).fetchall()
        return pd.DataFrame(
            rows,
            columns=["participant", "requirement", "done", "completed_on", "count"],
        )

    def save_progress(self, progress: pd.DataFrame) -> None:
        rows = [
            (
                r.participant,
                r.requirement,
                int(bool(r.done)),
                None if pd.isna(r.completed_on) else r.completed_on.date().isoformat(),
                int(r.count),
            )
            for r in progress.itertuples(index=False)
        ]
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("DELETE FROM progress")
                self.db.executemany("INSERT INTO progress VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise StateUnavailable(
                f"{self.path}: cannot record progress ({exc})"
            ) from exc

    def save_checklist(
        self, participant: str, sheet_id: str | None, outcome: str, reason: str
    ) -> None:
        self._write(
            "INSERT INTO checklists VALUES (?, ?, ?, ?) ON CONFLICT(participant) "
            "DO UPDATE SET sheet_id = excluded.sheet_id, "
            "outcome = excluded.outcome, reason = excluded.reason",
            (participant, sheet_id, outcome, reason),
        )

    def start_run(self, run_id: str, now: dt.datetime, job: str) -> None:
        self._write(
            "INSERT INTO runs (run_id, started_at, now, job) VALUES (?, ?, ?, ?)",
            (run_id, _utcnow(), now.isoformat(), job),
        )

    def finish_run(self, run_id: str, exit_code: int, summary: dict[str, Any]) -> None:
        self._write(
            "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? "
            "WHERE run_id = ?",
            (_utcnow(), exit_code, json.dumps(summary, default=str), run_id),
        )


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
