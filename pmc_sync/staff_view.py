"""What staff see after a run: the roster and the needs-attention queue.

Both are pure functions of a run's result and the email ledger (the frame
``SqliteState.ledger()`` returns: participant, event, seq, state, sent_on).
``write_staff_view`` saves them into the local workspace::

    staff/roster.csv            one row per participant
    staff/needs-attention.csv   what only staff can settle, one item per row
    staff/staff-view.xlsx       both, as the tabs "Roster" and "Needs attention"

Staff settle an item by editing the staff decisions (approve an elective,
add an alias, dismiss an unmatched response, withdraw a participant); the
next run no longer raises it. Every file is replaced in one rename, so a
reader never sees half of one.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pmc_sync.checklist import NOT_RECOGNISED, UNREACHABLE
from pmc_sync.config import COUNTED_REQUIREMENTS, REQUIREMENTS
from pmc_sync.reconcile import AWAITING_APPROVAL, PARTIAL_ATTENDANCE
from pmc_sync.steps import is_locked, next_requirement

log = logging.getLogger(__name__)

STAFF_DIR = "staff"
ROSTER_FILE = "roster.csv"
QUEUE_FILE = "needs-attention.csv"
WORKBOOK_FILE = "staff-view.xlsx"
ROSTER_TAB = "Roster"
QUEUE_TAB = "Needs attention"

# What each requirement is called in RULES.md.
REQUIREMENT_TITLES = {
    "T1.register": "Registered",
    "T1.pre": "Tier 1 pre-assessment",
    "T1.fundamentals": "Mentoring Fundamentals",
    "T1.mondays": "Mentoring Mondays",
    "T1.post": "Tier 1 post-assessment",
    "T1.capstone": "Reflections on Mentoring",
    "T1.complete": "Tier 1 certificate",
    "T2.mentee": "Mentee identified",
    "T2.pre": "Tier 2 pre-assessment",
    "T2.compact": "Mentoring compact",
    "T2.outline": "Check-in outline",
    "T2.reflections": "Weekly reflections",
    "T2.training": "4 training sessions",
    "T2.period": "A quarter of mentoring",
    "T2.post": "Tier 2 post-assessment",
    "T2.coaching": "Peer Mentor Coaching Session",
    "T2.portfolio": "Mentoring portfolio",
    "T2.complete": "Tier 2 certificate",
}

# The reason reconcile gives an elective that staff have not approved yet.

QUEUE_COLUMNS = ["kind", "participant", "response_id", "since", "reason", "settle"]
# The queue's kinds, in the order staff see them, with how each is settled.
QUEUE_KINDS = {
    "elective_pending": (
        "approve it: add the response ID to the 'Elective approvals' tab"
    ),
    "fundamentals_partial": (
        "if they took an earlier OPA-facilitated workshop, add them to "
        "'Fundamentals substitutions'; otherwise they attend both days again"
    ),
    "unmatched": (
        "add the address to 'Aliases' (other address -> participant), or the "
        "response ID to 'Dismissed unmatched'"
    ),
    "flag": (
        "check the dates with the participant, then add the participant and "
        "the flag to 'Acknowledged flags'"
    ),
    "checklist_unreachable": (
        "the participant was emailed how to fix it; follow up, or add them to "
        "'Withdrawn'"
    ),
    "checklist_layout": (
        "help the participant restore the Key column and its keys in their copy"
    ),
    "inactive": (
        "the program's reminders went out; contact them, or add them to 'Withdrawn'"
    ),
}

_FLAG_REASONS = {
    "out_of_order:t1_pre": "Tier 1 pre-assessment dated after their first training",
    "out_of_order:t1_post": "Tier 1 post-assessment submitted before it was unlocked",
    "out_of_order:coaching": "coaching session logged before coaching was ready",
}
# The activity kind whose response an out-of-order flag is about.
_FLAG_KIND = {
    "out_of_order:t1_pre": "t1_pre",
    "out_of_order:t1_post": "t1_post",
    "out_of_order:coaching": "coaching",
}
_T2_EARLY = "t2_before_t1_complete:"


def _iso(value: Any) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _isos(dates: pd.Series) -> pd.Series:
    """Dates as ISO text ("" when missing), as text even when empty."""
    return pd.Series([_iso(v) for v in dates], index=dates.index, dtype="object")


def _tier_status(facts: pd.DataFrame, withdrawn: pd.Series) -> pd.Series:
    status = pd.Series("registered", index=facts.index, dtype="object")
    t1_started = facts[["pre", "fundamentals", "mondays", "post", "capstone"]].notna()
    t1_started = t1_started.any(axis=1) | facts["mondays_count"].fillna(0).gt(0)
    status[t1_started] = "Tier 1 in progress"
    status[facts["t1_complete"].notna()] = "Tier 1 complete"
    status[facts["t1_complete"].notna() & facts["t2_started"]] = "Tier 2 in progress"
    status[facts["t2_complete"].notna()] = "Tier 2 complete"
    status[withdrawn.reindex(facts.index).fillna(False).astype(bool)] = "withdrawn"
    return status


def _requirement_cells(result: Any) -> pd.DataFrame:
    """Participant x requirement: "done <date>", "open", "open: N so far", "locked"."""
    recon = result.recon
    progress = recon.progress
    text = pd.Series("open", index=progress.index, dtype="object")
    counted = progress["requirement"].isin(COUNTED_REQUIREMENTS) & progress["count"].gt(
        0
    )
    text[counted] = "open: " + progress.loc[counted, "count"].astype(str) + " so far"
    facts = {person: row for person, row in recon.facts.iterrows()}
    locked = [
        is_locked(req, facts[person])
        for person, req in zip(progress["participant"], progress["requirement"])
    ]
    text[pd.Series(locked, index=progress.index) & ~progress["done"]] = "locked"
    done = progress["done"].astype(bool)
    text[done] = "done " + _isos(progress.loc[done, "completed_on"])
    cells = (
        pd.DataFrame(
            {
                "participant": progress["participant"],
                "requirement": progress["requirement"],
                "text": text,
            }
        )
        .pivot(index="participant", columns="requirement", values="text")
        .reindex(columns=list(REQUIREMENTS))
    )
    cells.columns.name = None
    return cells


def _emails_sent(ledger: pd.DataFrame) -> pd.Series:
    """Per participant: "event date; event date", oldest first."""
    if ledger.empty:
        return pd.Series(dtype="object")
    rows = ledger.sort_values(["sent_on", "event", "seq"], kind="stable")
    seq = rows["seq"].astype(int)
    label = rows["event"].where(
        rows["event"] != "reminder", "reminder #" + seq.astype(str)
    )
    label = label + " " + rows["sent_on"].astype(str)
    label = label.where(rows["state"] == "sent", label + " (not confirmed)")
    return label.groupby(rows["participant"]).agg("; ".join)


def build_roster(result: Any, ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per participant: who they are and where they stand.

    Args:
        result: a ``sync.RunResult`` (its reconciliation and checklist plans).
        ledger: the email ledger, ``SqliteState.ledger()``.
    """
    recon = result.recon
    people = recon.participants
    facts = recon.facts.reindex(people.index)
    next_key = facts.apply(next_requirement, axis=1)
    next_key = next_key.where(~people["withdrawn"].astype(bool))
    next_step = next_key.map(
        lambda k: f"{k}: {REQUIREMENT_TITLES[k]}" if isinstance(k, str) else ""
    )
    idle = (facts["today"] - facts["last_activity"]).dt.days
    plans = {p: result.checklists.get(p) for p in people.index}
    flags = recon.flags.groupby("participant")["flag"].agg("; ".join)
    roster = pd.DataFrame(
        {
            "participant": people.index,
            "name": people["full_name"].fillna(""),
            "preferred_name": people["preferred_name"].fillna(""),
            "department": people["department"].fillna(""),
            "registered_on": _isos(people["registered_on"]),
            "status": _tier_status(facts, people["withdrawn"]),
        },
        index=people.index,
    )
    roster = roster.join(_requirement_cells(result))
    roster["next_step"] = next_step
    roster["last_activity"] = _isos(facts["last_activity"])
    roster["days_since_activity"] = idle.astype("Int64")
    roster["emails_sent"] = _emails_sent(ledger).reindex(people.index).fillna("")
    roster["checklist"] = [plans[p].outcome if plans[p] else "" for p in people.index]
    roster["checklist_reason"] = [
        plans[p].reason if plans[p] else "" for p in people.index
    ]
    roster["flags"] = flags.reindex(people.index).fillna("")
    return roster.reset_index(drop=True)


def _items(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    items = frame.reindex(columns=QUEUE_COLUMNS).astype("object").fillna("")
    items["kind"] = kind
    items["settle"] = QUEUE_KINDS[kind]
    return items


def _pending_electives(recon: Any) -> pd.DataFrame:
    act = recon.activities
    pending = act[(act["kind"] == "elective") & (act["reason"] == AWAITING_APPROVAL)]
    return _items(
        "elective_pending",
        pd.DataFrame(
            {
                "participant": pending["participant"],
                "response_id": pending["response_id"],
                "since": _isos(pending["date"]),
                "reason": "elective workshop on "
                + _isos(pending["date"])
                + " awaits approval",
            }
        ),
    )


def _partial_fundamentals(recon: Any) -> pd.DataFrame:
    act = recon.activities
    facts = recon.facts
    open_ = facts.index[facts["fundamentals"].isna()]
    partial = act[
        (act["kind"] == "fundamentals")
        & ~act["counted"]
        & act["participant"].isin(open_)
        & act["reason"].eq(PARTIAL_ATTENDANCE)
    ]
    partial = partial.drop_duplicates("participant", keep="last")
    return _items(
        "fundamentals_partial",
        pd.DataFrame(
            {
                "participant": partial["participant"],
                "response_id": partial["response_id"],
                "since": _isos(partial["date"]),
                "reason": "Mentoring Fundamentals on "
                + _isos(partial["date"])
                + " logged without both days; Fundamentals not yet met",
            }
        ),
    )


def _unmatched(recon: Any) -> pd.DataFrame:
    rows = recon.unmatched
    submitted = pd.to_datetime(
        rows["submitted"], utc=True, errors="coerce", format="ISO8601"
    )
    email = rows["email"].where(rows["email"].astype(bool), "(no address)")
    return _items(
        "unmatched",
        pd.DataFrame(
            {
                "participant": "",
                "response_id": rows["response_id"],
                "since": _isos(submitted),
                "reason": email
                + " answered form "
                + rows["form"]
                + " but matches no registered participant",
            }
        ),
    )


def _flags(recon: Any) -> pd.DataFrame:
    flags = recon.flags[~recon.flags["acknowledged"]].copy()
    act = recon.activities
    # Out-of-order flags name no response: point at the one they are about.
    firsts = (
        act[act["counted"]]
        .sort_values(["date", "submitted"], kind="stable")
        .drop_duplicates(["participant", "kind"])
        .set_index(["participant", "kind"])["response_id"]
    )
    about = pd.MultiIndex.from_arrays(
        [flags["participant"], flags["flag"].map(_FLAG_KIND)]
    )
    looked_up = pd.Series(firsts.reindex(about).to_numpy(), index=flags.index)
    blank = flags["response_id"].fillna("").eq("")
    flags.loc[blank, "response_id"] = looked_up[blank]
    what = flags["flag"].map(_FLAG_REASONS)
    early = flags["flag"].str.startswith(_T2_EARLY)
    what[early] = (
        flags.loc[early, "flag"].str.removeprefix(_T2_EARLY)
        + " dated before Tier 1 was complete: shown, not counted"
    )
    return _items(
        "flag",
        pd.DataFrame(
            {
                "participant": flags["participant"],
                "response_id": flags["response_id"],
                "since": _isos(flags["date"]),
                "reason": what.fillna(flags["flag"]) + " (" + flags["flag"] + ")",
            }
        ),
    )


def _checklists(result: Any) -> pd.DataFrame:
    people = result.recon.participants
    parts = []
    for outcome, kind, what in (
        (UNREACHABLE, "checklist_unreachable", "checklist unreachable"),
        (NOT_RECOGNISED, "checklist_layout", "checklist layout not recognised"),
    ):
        stuck = [
            (person, plan.reason)
            for person, plan in result.checklists.items()
            if plan.outcome == outcome and person in people.index
        ]
        who = [person for person, _ in stuck]
        parts.append(
            _items(
                kind,
                pd.DataFrame(
                    {
                        "participant": who,
                        "response_id": people.loc[
                            who, "registration_response"
                        ].to_numpy(),
                        "since": _isos(people.loc[who, "registered_on"]).to_numpy(),
                        "reason": [
                            f"{what}: {reason}" if reason else what
                            for _, reason in stuck
                        ],
                    }
                ),
            )
        )
    return pd.concat(parts, ignore_index=True)


def _inactive(result: Any, ledger: pd.DataFrame) -> pd.DataFrame:
    """Whoever the reminder rule reached and who has done nothing since."""
    facts = result.recon.facts
    reminders = ledger[ledger["event"] == "reminder"][["participant", "seq", "sent_on"]]
    due = result.emails_due
    if due is not None and not due.empty:
        due = due[due["event"] == "reminder"]
        today = _isos(facts["today"].reindex(due["participant"])).to_numpy()
        reminders = pd.concat(
            [
                reminders,
                pd.DataFrame(
                    {"participant": due["participant"], "seq": due["seq"]}
                ).assign(sent_on=today),
            ],
            ignore_index=True,
        )
    reminders = reminders.sort_values(["participant", "seq"]).drop_duplicates(
        "participant", keep="last"
    )
    reminders = reminders[reminders["participant"].isin(facts.index)]
    last = facts.loc[reminders["participant"], "last_activity"].to_numpy()
    reminded_on = pd.to_datetime(reminders["sent_on"]).to_numpy()
    still = ~(last > reminded_on)
    reminders = reminders[still]
    who = reminders["participant"]
    days = (facts.loc[who, "today"] - facts.loc[who, "last_activity"]).dt.days
    last_on = _isos(facts.loc[who, "last_activity"])
    return _items(
        "inactive",
        pd.DataFrame(
            {
                "participant": who.to_numpy(),
                "response_id": "",
                "since": last_on.to_numpy(),
                "reason": [
                    f"no activity for {d} days (last on {on}); reminder #{s} "
                    f"on {sent}"
                    for d, on, s, sent in zip(
                        days, last_on, reminders["seq"], reminders["sent_on"]
                    )
                ],
            }
        ),
    )


def build_queue(result: Any, ledger: pd.DataFrame) -> pd.DataFrame:
    """What only staff can settle: one row per item, ``QUEUE_COLUMNS``.

    Items of withdrawn participants are left out: withdrawing settles them.
    """
    recon = result.recon
    queue = pd.concat(
        [
            _pending_electives(recon),
            _partial_fundamentals(recon),
            _unmatched(recon),
            _flags(recon),
            _checklists(result),
            _inactive(result, ledger),
        ],
        ignore_index=True,
    )
    withdrawn = recon.participants.index[recon.participants["withdrawn"].astype(bool)]
    queue = queue[~queue["participant"].isin(withdrawn)]
    order = {kind: i for i, kind in enumerate(QUEUE_KINDS)}
    queue = queue.assign(_order=queue["kind"].map(order)).sort_values(
        ["_order", "since", "participant", "response_id"], kind="stable"
    )
    return queue.drop(columns="_order").reset_index(drop=True)[QUEUE_COLUMNS]


def write_staff_view(root: Path, result: Any, ledger: pd.DataFrame) -> None:
    """Write ``staff/roster.csv``, ``staff/needs-attention.csv`` and
    ``staff/staff-view.xlsx`` under the workspace ``root``.

    Raises:
        OSError: a file cannot be written (for example, open in Excel on
            Windows); the files already there are left whole.
    """
    folder = Path(root) / STAFF_DIR
    folder.mkdir(parents=True, exist_ok=True)
    roster = build_roster(result, ledger)
    queue = build_queue(result, ledger)
    with _replacing(folder / ROSTER_FILE) as tmp:
        _write_csv(tmp, roster)
    with _replacing(folder / QUEUE_FILE) as tmp:
        _write_csv(tmp, queue)
    with _replacing(folder / WORKBOOK_FILE) as tmp:
        _write_workbook(tmp, {ROSTER_TAB: roster, QUEUE_TAB: queue})
    log.info(
        "staff view: %d participants, %d items need attention", len(roster), len(queue)
    )


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` at the end."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    """A cell for a CSV file that a spreadsheet opens: never a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None or value is pd.NA else value


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow([_plain(v) for v in row])


def _write_workbook(path: Path, tabs: dict[str, pd.DataFrame]) -> None:
    book = Workbook()
    book.remove(book.active)
    for title, frame in tabs.items():
        sheet = book.create_sheet(title)
        sheet.append(list(frame.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([None if v is pd.NA else v for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING
        sheet.freeze_panes = "B2"
        if len(frame):
            sheet.auto_filter.ref = sheet.dimensions
        for number, column in enumerate(frame.columns, start=1):
            longest = frame[column].astype(str).str.len().max() if len(frame) else 0
            width = max(len(str(column)), int(longest or 0))
            sheet.column_dimensions[get_column_letter(number)].width = min(
                60, width + 2
            )
    book.save(path)
