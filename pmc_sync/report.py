"""What a run says: the summary table, the dry-run plan, a progress table."""

from __future__ import annotations

from typing import Any

import click
import pandas as pd

from pmc_sync.checklist import WRITTEN
from pmc_sync.config import COUNTED_REQUIREMENTS
from pmc_sync.sync import RunResult, summary_counts


def print_summary(result: RunResult) -> None:
    counts = summary_counts(result)
    title = "Dry run (nothing written or sent)" if result.dry_run else "Sync run"
    click.echo(f"{title} {counts['run_id']} at {counts['now']}")
    rows = [
        ("participants", counts["participants"]),
        ("responses read", counts["responses_read"]),
        ("requirements newly met", counts["requirements_newly_met"]),
        ("checklist cells written", counts["checklist_cells_written"]),
        ("emails sent", counts["emails_sent"]),
        ("unmatched responses", counts["unmatched"]),
        ("flags for staff", counts["flags"]),
        ("problems", counts["problems"]),
    ]
    if result.dry_run:
        rows[3] = ("checklist cells to write", counts["checklist_cells_to_write"])
        rows[4] = ("emails due", counts["emails_due"])
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"  {name:<{width}}  {value}")
    click.echo(
        "  checklists: "
        + (
            ", ".join(
                f"{n} {'to write' if result.dry_run and o == WRITTEN else o}"
                for o, n in counts["checklists"].items()
            )
            or "none"
        )
    )
    recon = result.recon
    for row in recon.flags.itertuples(index=False):
        click.echo(f"  flag: {row.participant}: {row.flag}")
    for row in recon.unmatched.itertuples(index=False):
        click.echo(
            f"  unmatched: {row.email} on form {row.form} (response {row.response_id})"
        )
    for person, plan in sorted(result.checklists.items()):
        if plan.outcome != WRITTEN:
            reason = f" ({plan.reason})" if plan.reason else ""
            click.echo(f"  checklist: {person}: {plan.outcome}{reason}")
    for problem in result.problems:
        click.echo(f"  problem: {problem['where']}: {problem['problem']}")
    if result.failed_participants:
        click.echo(f"  FAILED for: {', '.join(sorted(result.failed_participants))}")


def print_dry_run(result: RunResult) -> None:
    click.echo("Would write:")
    for person, plan in sorted(result.checklists.items()):
        if plan.outcome == WRITTEN:
            click.echo(
                f"  {person}: {len(plan.changes)} checklist cells, "
                f"{plan.activity_cells} activity-log cells"
            )
    click.echo("Would send:")
    for row in result.emails_due.itertuples(index=False):
        click.echo(f"  {row.participant}: {row.event}")
    click.echo("")


def _requirement_view(row: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "done": bool(row.done),
        "completed_on": (
            None if pd.isna(row.completed_on) else row.completed_on.date().isoformat()
        ),
    }
    if row.requirement in COUNTED_REQUIREMENTS and row.count > 0:
        view["count"] = int(row.count)
    return view


def expected_view(
    result: RunResult, emails: list[tuple[str, str, int]] | None = None
) -> dict[str, Any]:
    """The run's conclusions in the shape of the kit's ``expected.json``.

    ``emails`` defaults to the emails due in this run.
    """
    recon = result.recon
    if emails is None:
        emails = [
            (r.participant, r.event, r.seq)
            for r in result.emails_due.itertuples(index=False)
        ]
    people: dict[str, Any] = {}
    for person in recon.participants.index:
        mine = recon.progress[recon.progress["participant"] == person]
        plan = result.checklists.get(person)
        people[person] = {
            "requirements": {
                r.requirement: _requirement_view(r)
                for r in mine.itertuples(index=False)
            },
            "emails": [event for p, event, _ in emails if p == person],
            "flags": recon.flags.loc[
                recon.flags["participant"] == person, "flag"
            ].tolist(),
            "checklist": plan.outcome if plan else None,
        }
    return {
        "now": result.now.isoformat().replace("+00:00", "Z"),
        "participants": people,
        "unmatched": [
            {"email": r.email, "form": r.form}
            for r in result.recon.unmatched.itertuples(index=False)
        ],
    }


def progress_lines(result: RunResult, person: str) -> list[str]:
    recon = result.recon
    info = recon.participants.loc[person]
    lines = [
        f"{info['full_name']} <{person}>  registered {info['registered_on'].date()}"
    ]
    if info["withdrawn"]:
        lines.append("WITHDRAWN")
    lines.append(f"{'requirement':<16} {'done':<5} {'completed on':<12} count")
    mine = recon.progress[recon.progress["participant"] == person]
    for row in mine.itertuples(index=False):
        view = _requirement_view(row)
        lines.append(
            f"{row.requirement:<16} {'yes' if view['done'] else 'no':<5} "
            f"{view['completed_on'] or '':<12} {view.get('count', '')}"
        )
    flags = recon.flags.loc[recon.flags["participant"] == person, "flag"].tolist()
    if flags:
        lines.append("flags: " + ", ".join(flags))
    plan = result.checklists.get(person)
    if plan:
        lines.append(f"checklist: {plan.outcome}")
    return lines
