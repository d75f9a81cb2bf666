"""What to write into a participant's checklist: pure planning, no I/O.

Rows are found by their key in the "Key" column and columns by their header,
never by position, so the rows and columns a participant inserts stay where
they are. Only the managed columns and the "Last synced" cell are written,
and only where the value changes. A layout that cannot be recognised gets
nothing written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pmc_sync.config import REQUIREMENTS, Config
from pmc_sync.steps import StepLinks, is_locked

Grid = Sequence[Sequence[Any]]

WRITTEN = "written"
UNREACHABLE = "unreachable"
WITHDRAWN = "not written (withdrawn)"
NOT_RECOGNISED = "layout not recognised: nothing written"
HELD = "not written (run held)"
_SYNCED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( |T|$)")
ACTIVITY_LOG_HEADER = ["Date", "Activity", "Counts for", "Counted", "Why not"]


@dataclass(frozen=True)
class CellChange:
    row: int  # 0-based, in the checklist tab
    col: int
    old: Any
    new: Any


@dataclass
class ChecklistPlan:
    outcome: str
    reason: str = ""
    sheet_id: str | None = None
    changes: list[CellChange] = field(default_factory=list)
    activity_log: list[list[str]] | None = None  # the whole tab, when it changes
    activity_cells: int = 0

    @property
    def cells(self) -> int:
        return len(self.changes) + self.activity_cells


def cell_text(value: Any) -> str:
    """A cell's value as the sheet shows it, for comparing old and new."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text.upper() if text.upper() in ("TRUE", "FALSE") else text


def _find(grid: Grid, label: str) -> tuple[int, int] | None:
    wanted = label.strip().rstrip(":").casefold()
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if (
                isinstance(value, str)
                and value.strip().rstrip(":").casefold() == wanted
            ):
                return r, c
    return None


def recognise(grid: Grid, config: Config) -> tuple[dict[str, int], dict[str, int], str]:
    """Locate the managed columns and the key rows.

    Returns (column by header, row by key, reason); the reason is "" when the
    layout is recognised.
    """
    names = config.checklist
    key_at = _find(grid, names["key_header"])
    if key_at is None:
        return {}, {}, f"no {names['key_header']!r} column"
    header_row, key_col = key_at
    header = [cell_text(v).strip() for v in grid[header_row]]
    columns = {}
    for setting in (
        "status_header",
        "completed_header",
        "progress_header",
        "next_step_header",
    ):
        title = names[setting]
        found = [c for c, text in enumerate(header) if text == title]
        if len(found) != 1:
            what = "no" if not found else "more than one"
            return {}, {}, f"{what} {title!r} column"
        columns[title] = found[0]
    rows: dict[str, int] = {}
    for r in range(header_row + 1, len(grid)):
        line = grid[r]
        key = cell_text(line[key_col]).strip() if key_col < len(line) else ""
        if key in REQUIREMENTS:
            if key in rows:
                return {}, {}, f"key {key} appears twice"
            rows[key] = r
    missing = [k for k in REQUIREMENTS if k not in rows]
    if missing:
        return {}, {}, f"row for key {missing[0]} is missing"
    return columns, rows, ""


def desired_values(
    participant: str,
    facts: pd.Series,
    progress: pd.DataFrame,
    config: Config,
    links: StepLinks,
    checklist_url: str,
) -> dict[str, dict[str, Any]]:
    """Per requirement key, the value of each managed column."""
    names = config.checklist
    required = {
        "T1.mondays": (config.mondays_required, "Mondays"),
        "T2.reflections": (config.reflections_required, "weeks"),
        "T2.training": (config.training_sessions_required, "sessions"),
    }
    values = {}
    for row in progress.itertuples(index=False):
        done = bool(row.done)
        if row.requirement in required:
            need, unit = required[row.requirement]
            progress_text = f"{row.count} of {need} {unit}"
        elif row.requirement == "T2.period" and not pd.isna(facts["mentoring_days"]):
            progress_text = (
                f"{int(facts['mentoring_days'])} of "
                f"{config.mentoring_days_required} days"
            )
        else:
            progress_text = "Done" if done else ""
        if done:
            next_step = ""
        elif is_locked(row.requirement, facts):
            next_step = config.steps[row.requirement].locked
        else:
            step = links.step(row.requirement, participant, checklist_url)
            next_step = f"{step.text}: {step.url}"
        values[row.requirement] = {
            names["status_header"]: done,
            names["completed_header"]: (
                "" if pd.isna(row.completed_on) else row.completed_on.date().isoformat()
            ),
            names["progress_header"]: progress_text,
            names["next_step_header"]: next_step,
        }
    return values


def activity_log_rows(activities: pd.DataFrame) -> list[list[str]]:
    """The "Activity log" tab: every logged activity, and why one did not count."""
    ordered = activities.sort_values(
        ["date", "submitted", "response_id"], kind="stable"
    )
    body = [
        [
            date.date().isoformat(),
            label,
            tier,
            "Yes" if counted else "No",
            reason,
        ]
        for date, label, tier, counted, reason in zip(
            ordered["date"],
            ordered["label"],
            ordered["tier"],
            ordered["counted"],
            ordered["reason"],
        )
    ]
    return [list(ACTIVITY_LOG_HEADER), *body]


def plan_checklist(
    grid: Grid,
    activity_grid: Grid | None,
    desired: dict[str, dict[str, Any]],
    activity_rows: list[list[str]],
    last_synced: str,
    config: Config,
) -> ChecklistPlan:
    """The cells to change, or why nothing can be written."""
    columns, rows, reason = recognise(grid, config)
    if reason:
        return ChecklistPlan(outcome=NOT_RECOGNISED, reason=reason)

    def current(r: int, c: int) -> Any:
        return grid[r][c] if r < len(grid) and c < len(grid[r]) else None

    changes = []
    for key, by_header in desired.items():
        for header, value in by_header.items():
            r, c = rows[key], columns[header]
            if cell_text(current(r, c)) != cell_text(value):
                changes.append(CellChange(r, c, current(r, c), value))
    differing = _grid_differences(activity_grid, activity_rows)
    # "Last synced" moves when something else changed, and at least daily:
    # a run that changes nothing else writes nothing (no request at all).
    # The label is looked for above the header row only, and the cell to its
    # right is written only when it is blank or holds an earlier time: a
    # participant's own text there is never overwritten.
    header_row = _find(grid, config.checklist["key_header"])[0]
    synced_at = _find(grid[:header_row], config.checklist["last_synced_label"])
    if synced_at is not None:
        r, c = synced_at[0], synced_at[1] + 1
        shown = cell_text(current(r, c))
        ours = shown == "" or _SYNCED_TIME.match(shown) is not None
        stale = shown[:10] != last_synced[:10]
        if ours and shown != last_synced and (changes or differing or stale):
            changes.append(CellChange(r, c, current(r, c), last_synced))

    return ChecklistPlan(
        outcome=WRITTEN,
        changes=changes,
        activity_log=activity_rows if differing or activity_grid is None else None,
        activity_cells=differing,
    )


def _grid_differences(old: Grid | None, new: list[list[str]]) -> int:
    old = old or []
    height = max(len(old), len(new))
    width = max([len(r) for r in old] + [len(r) for r in new] + [0])
    differing = 0
    for r in range(height):
        for c in range(width):
            before = old[r][c] if r < len(old) and c < len(old[r]) else None
            after = new[r][c] if r < len(new) and c < len(new[r]) else None
            differing += cell_text(before) != cell_text(after)
    return differing
