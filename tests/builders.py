"""Hand-built inputs for the pure rule functions.

``Responses`` builds a frame in the shape ``pmc_sync.forms.responses_frame``
gives (and ``pull`` concatenates): the base columns, then one column per
configured field, missing answers as None/NaN. Dates are local calendar days
(``"2026-01-05"``); a response is submitted at 18:00 UTC on its day unless
told otherwise, which is mid-morning the same day in America/Los_Angeles.

``tier1_done`` and ``tier2_done`` add a complete, in-order history so that a
test only writes what it is about.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from pmc_sync.config import Config, load_config
from pmc_sync.decisions import StaffDecisions, decisions_from_json
from pmc_sync.due import LEDGER_COLUMNS, emails_due
from pmc_sync.forms import BASE_COLUMNS
from pmc_sync.reconcile import Reconciliation, reconcile

CONFIG = load_config()
NOW = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)

MF = "Mentoring Fundamentals"
MONDAY = "Mentoring Monday"
ELECTIVE = "Elective workshop"
WEEKLY = "Weekly mentoring reflection"
COMPACT = "Mentoring compact"
OUTLINE = "Check-in outline"
COACHING = "Peer Mentor Coaching Session"


def day(text: str) -> pd.Timestamp:
    """A local calendar day as the rules hold it (midnight, no time zone)."""
    return pd.Timestamp(text)


def at_noon(on: str) -> str:
    """The submission stamp used by default for a response made on ``on``."""
    return f"{on}T18:00:00Z"


def _field_names(config: Config) -> list[str]:
    names: list[str] = []
    for mapping in config.forms.values():
        for name in mapping.fields:
            if name not in names:
                names.append(name)
    return names


class Responses:
    """Collects response rows; ``frame()`` gives the responses frame."""

    def __init__(self, config: Config = CONFIG) -> None:
        self.config = config
        self.rows: list[dict[str, Any]] = []
        self._next_id = 0

    def _rid(self, rid: str | None) -> str:
        if rid is not None:
            return rid
        self._next_id += 1
        return f"r{self._next_id:04d}"

    def _add(
        self,
        form: str,
        email: str | None,
        on: str,
        rid: str | None,
        submitted: str | None,
        created: str | None = None,
        answered: int = 0,
        files: int = 0,
        **fields: Any,
    ) -> str:
        rid = self._rid(rid)
        stamp = submitted or at_noon(on)
        row = {
            "form": form,
            "response_id": rid,
            "respondent_email": email,
            "create_time": created or stamp,
            "last_submitted": stamp,
            "answered_required": answered,
            "files_attached": files,
        }
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.append(row)
        return rid

    def register(
        self,
        email: str,
        on: str = "2026-01-05",
        name: str | None = "Ada Lovelace",
        preferred: str | None = None,
        link: str | None = "https://docs.google.com/spreadsheets/d/abc/edit",
        rid: str | None = None,
        submitted: str | None = None,
    ) -> str:
        return self._add(
            "registration",
            email,
            on,
            rid,
            submitted,
            full_name=name,
            preferred_name=preferred,
            checklist_link=link,
        )

    def log(
        self,
        email: str,
        activity: str,
        on: str | None,
        full: str | None = None,
        rid: str | None = None,
        submitted: str | None = None,
        created: str | None = None,
    ) -> str:
        """One activity log; ``on`` is the date answer (None: left blank)."""
        if on is None and submitted is None:
            raise ValueError("a log without a date answer needs submitted=")
        return self._add(
            "reflection",
            email,
            on or submitted[:10],
            rid,
            submitted,
            created,
            activity=activity,
            date=on,
            full_attendance=full,
        )

    def form(
        self,
        email: str | None,
        key: str,
        on: str,
        rid: str | None = None,
        submitted: str | None = None,
        answered: int | None = None,
        files: int | None = None,
        **fields: Any,
    ) -> str:
        """A response to a form that has no date question (dated by submission).

        ``answered`` and ``files`` default to complete (every required answer
        and file of that form given).
        """
        mapping = self.config.forms[key]
        return self._add(
            key,
            email,
            on,
            rid,
            submitted,
            answered=(len(mapping.required_answers) if answered is None else answered),
            files=len(mapping.required_files) if files is None else files,
            **fields,
        )

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows)
        if frame.empty:
            frame = pd.DataFrame(columns=list(BASE_COLUMNS))
        for name in _field_names(self.config):
            if name not in frame.columns:
                frame[name] = None
        return frame


def tier1_done(
    b: Responses, email: str, start: str = "2026-01-05", name: str = "Ada Lovelace"
) -> pd.Timestamp:
    """Register on ``start`` (a Monday) and finish Tier 1 in order.

    Pre the next day, Fundamentals on day 3, Mondays on the next 4 Mondays,
    post the day after the 4th Monday, capstone the day after that. Returns
    the Tier 1 completion day (the capstone's).
    """
    first = dt.date.fromisoformat(start)

    def on(days: int) -> str:
        return (first + dt.timedelta(days=days)).isoformat()

    b.register(email, on=on(0), name=name)
    b.form(email, "t1_pre", on(1))
    b.log(email, MF, on(3), full="Yes")
    for week in range(1, 5):
        b.log(email, MONDAY, on(7 * week))
    b.form(email, "t1_post", on(29))
    b.form(email, "t1_capstone", on(30))
    return day(on(30))


def tier2_done(b: Responses, email: str, start: str = "2026-01-05") -> pd.Timestamp:
    """Tier 1 from ``start``, then all of Tier 2 in order. Returns T2's day.

    With the default start: Tier 1 completes 2026-02-04; the mentoring start
    date is 2026-02-09; reflections every Tuesday from 2026-02-10 to
    2026-04-21 (71 days after the start); Tier 2 completes 2026-04-23.
    """
    t1 = tier1_done(b, email, start)

    def on(days: int) -> str:
        return (t1 + pd.Timedelta(days=days)).date().isoformat()

    mentoring_start = on(5)
    b.form(email, "t2_pre", on(5), mentee_name="Grace", start_date=mentoring_start)
    b.log(email, COMPACT, on(6))
    b.log(email, OUTLINE, on(7))
    for week in range(11):
        b.log(email, WEEKLY, on(6 + 7 * week))
    for week in range(2, 6):
        b.log(email, MONDAY, on(5 + 7 * week))
    b.form(email, "coaching_feedback", on(56))
    b.log(email, COACHING, on(70))
    b.form(email, "t2_post", on(77))
    b.form(email, "t2_portfolio", on(78))
    return day(on(78))


def decisions(**data: Any) -> StaffDecisions:
    """Staff decisions from the kit's JSON shape (normalised like the real file)."""
    return decisions_from_json(data)


def run(
    b: Responses,
    staff: StaffDecisions | None = None,
    config: Config = CONFIG,
    now: dt.datetime = NOW,
) -> Reconciliation:
    return reconcile(b.frame(), staff or StaffDecisions(), config, now)


def ledger(*rows: tuple[str, str, int, str, str]) -> pd.DataFrame:
    """Ledger rows: (participant, event, seq, state, sent_on)."""
    return pd.DataFrame(list(rows), columns=LEDGER_COLUMNS)


def due(
    recon: Reconciliation,
    sent: pd.DataFrame | None = None,
    outcomes: dict[str, str] | None = None,
    config: Config = CONFIG,
) -> pd.DataFrame:
    """``emails_due`` with every checklist written unless told otherwise."""
    outcome = pd.Series(
        {p: "written" for p in recon.participants.index} | (outcomes or {}),
        dtype="object",
    )
    return emails_due(
        recon.facts,
        recon.participants,
        outcome,
        ledger() if sent is None else sent,
        config,
    )


def events(frame: pd.DataFrame, participant: str) -> list[str]:
    return frame.loc[frame["participant"] == participant, "event"].tolist()


def fact(recon: Reconciliation, participant: str, name: str) -> Any:
    return recon.facts.loc[participant, name]


def requirement(recon: Reconciliation, participant: str, key: str) -> dict[str, Any]:
    progress = recon.progress
    row = progress[
        (progress["participant"] == participant) & (progress["requirement"] == key)
    ]
    assert len(row) == 1, f"no single progress row for {participant} {key}"
    return row.iloc[0].to_dict()


def done_on(recon: Reconciliation, participant: str, key: str) -> pd.Timestamp | None:
    """The requirement's completion day, or None when it is not done."""
    row = requirement(recon, participant, key)
    return pd.Timestamp(row["completed_on"]) if row["done"] else None


def flags_of(recon: Reconciliation, participant: str) -> list[str]:
    flags = recon.flags
    return sorted(flags.loc[flags["participant"] == participant, "flag"])


def activity_rows(recon: Reconciliation, participant: str) -> pd.DataFrame:
    act = recon.activities
    return act[act["participant"] == participant].reset_index(drop=True)


def noon(on: str) -> dt.datetime:
    """A run's "now": 18:00 UTC on ``on``, mid-morning the same local day."""
    return dt.datetime.fromisoformat(f"{on}T18:00:00+00:00")
