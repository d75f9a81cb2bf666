"""Staff decisions: what the forms cannot say, recorded by staff.

Elective approvals (by response id), Mentoring Fundamentals substitutions,
aliases (another address -> participant), dismissed unmatched responses and
withdrawn participants. This module holds the in-memory shape and its
validation; the workspace adapter reads and writes the staff's file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def normalise_email(value: Any) -> str:
    """Trimmed, lower-cased, without a trailing dot; "" when not text."""
    if not isinstance(value, str):
        return ""
    return value.strip().strip(".").lower()


@dataclass(frozen=True)
class Substitution:
    email: str
    approved_on: dt.date
    note: str = ""


@dataclass(frozen=True)
class StaffDecisions:
    """Everything staff decided, normalised."""

    elective_approvals: frozenset[str] = frozenset()
    substitutions: tuple[Substitution, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    withdrawn: frozenset[str] = frozenset()
    dismissed_unmatched: frozenset[str] = frozenset()
    # Checklist copies made for participants (``pmc-sync provision``): they
    # replace the link given at registration.
    checklists: dict[str, str] = field(default_factory=dict)
    # Flags staff have looked at: (participant, flag); they leave the queue.
    acknowledged_flags: frozenset[tuple[str, str]] = frozenset()
    problems: tuple[str, ...] = ()
    # True when the staff's file could not be read at all: the run then
    # writes and sends nothing, since it cannot know who withdrew.
    unreadable: bool = False


def decisions_from_json(data: Any, source: str = "staff decisions") -> StaffDecisions:
    """Build decisions from the kit's ``staff-decisions.json`` shape.

    A malformed entry is skipped and reported in ``problems``; the rest load.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        return StaffDecisions(problems=(f"{source}: expected an object at the top",))

    def text_list(key: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list):
            problems.append(f"{source}: {key}: expected a list")
            return []
        good = [v.strip() for v in value if isinstance(v, str) and v.strip()]
        if len(good) != len(value):
            problems.append(f"{source}: {key}: skipped entries that are not text")
        return good

    substitutions = []
    raw_subs = data.get("fundamentals_substitutions", [])
    for index, entry in enumerate(raw_subs if isinstance(raw_subs, list) else []):
        try:
            substitutions.append(
                Substitution(
                    email=normalise_email(entry["email"]),
                    approved_on=dt.date.fromisoformat(str(entry["approved_on"])),
                    note=str(entry.get("note", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            problems.append(
                f"{source}: fundamentals_substitutions[{index}]: needs an email and "
                "approved_on as YYYY-MM-DD; skipped"
            )
    aliases_raw = data.get("aliases", {})
    if not isinstance(aliases_raw, dict):
        problems.append(f"{source}: aliases: expected an object; ignored")
        aliases_raw = {}
    return StaffDecisions(
        elective_approvals=frozenset(text_list("elective_approvals")),
        substitutions=tuple(substitutions),
        aliases={
            normalise_email(k): normalise_email(v)
            for k, v in aliases_raw.items()
            if normalise_email(k) and normalise_email(v)
        },
        withdrawn=frozenset(normalise_email(v) for v in text_list("withdrawn")),
        dismissed_unmatched=frozenset(text_list("dismissed_unmatched")),
        problems=tuple(problems),
    )


Rows = Callable[[str], list[tuple[int, list[str]]] | None]
# Tabs a staff file may lack (older files): their absence is not a problem.
OPTIONAL_TABS = frozenset({"Checklist copies", "Acknowledged flags"})


def decisions_from_rows(rows: Rows, source: str, problems: list[str]) -> StaffDecisions:
    """Decisions from a staff spreadsheet's tabs, whichever adapter read them.

    ``rows(tab)`` gives (row number, cell texts) for each non-blank row under
    the header, or None when a required tab is missing: the run is then held,
    since it cannot know who withdrew. A row that cannot be read is reported
    and skipped.
    """
    missing: list[str] = []

    def rows_of(tab: str) -> list[tuple[int, list[str]]]:
        found = rows(tab)
        if found is None:  # a required tab is gone: who withdrew is unknown
            missing.append(tab)
            return []
        return found

    def first_cells(tab: str) -> frozenset[str]:
        return frozenset(v[0] for _, v in rows_of(tab) if v[0])

    substitutions = []
    for number, values in rows_of("Fundamentals substitutions"):
        try:
            approved = dt.date.fromisoformat(values[1])
        except ValueError:
            problems.append(
                f"{source}: Fundamentals substitutions row {number}: 'Approved on' "
                f"{values[1]!r} is not a date YYYY-MM-DD; skipped"
            )
            continue
        substitutions.append(
            Substitution(normalise_email(values[0]), approved, values[2])
        )
    pairs: dict[str, dict[str, str]] = {}
    for tab in ("Aliases", "Checklist copies"):
        pairs[tab] = {}
        for number, values in rows_of(tab):
            key, value = normalise_email(values[0]), values[1].strip()
            if tab == "Aliases":
                value = normalise_email(value)
            if not key or not value:
                problems.append(f"{source}: {tab} row {number}: needs both; skipped")
                continue
            pairs[tab][key] = value
    approvals = first_cells("Elective approvals")
    withdrawn = frozenset(normalise_email(v) for v in first_cells("Withdrawn"))
    dismissed = first_cells("Dismissed unmatched")
    acknowledged = frozenset(
        (normalise_email(v[0]), v[1].strip())
        for _, v in rows_of("Acknowledged flags")
        if v[0] and v[1]
    )
    problems += [
        f"{source}: tab {tab!r} is missing; nothing written or sent until it is back"
        for tab in missing
    ]
    return StaffDecisions(
        elective_approvals=approvals,
        substitutions=tuple(substitutions),
        aliases=pairs["Aliases"],
        withdrawn=withdrawn,
        dismissed_unmatched=dismissed,
        checklists=pairs["Checklist copies"],
        acknowledged_flags=acknowledged,
        problems=tuple(problems),
        unreadable=bool(missing),
    )
