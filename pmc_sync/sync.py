"""One sync run: pull -> reconcile -> write checklists -> send email -> report.

The orchestrator is short on purpose; each step lives in its own module.
Failures of one participant (a checklist that cannot be written, an email
that cannot be delivered) are recorded as problems and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import TemplateError

from pmc_sync import __version__, faults, logs
from pmc_sync.checklist import (
    HELD,
    NOT_RECOGNISED,
    UNREACHABLE,
    WITHDRAWN,
    WRITTEN,
    ChecklistPlan,
    activity_log_rows,
    desired_values,
    plan_checklist,
)
from pmc_sync.config import Config
from pmc_sync.decisions import normalise_email
from pmc_sync.due import emails_due
from pmc_sync.errors import (
    ChecklistUnreachable,
    DeliveryError,
    DeliveryPaused,
    DeliveryUncertain,
)
from pmc_sync.links import sheet_id_from_link, sheet_url
from pmc_sync.mail import OutgoingEmail, Renderer
from pmc_sync.ports import Ports
from pmc_sync.progress import progress as with_progress
from pmc_sync.pull import pull
from pmc_sync.reconcile import Reconciliation, reconcile
from pmc_sync.steps import StepLinks, next_requirement

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run did, for the summary and for tests."""

    run_id: str
    now: dt.datetime
    dry_run: bool
    recon: Reconciliation
    responses_read: int = 0
    responses_held: int = 0
    cells_written: int = 0
    checklists: dict[str, ChecklistPlan] = field(default_factory=dict)
    emails_due: pd.DataFrame | None = None
    emails_sent: list[tuple[str, str, int]] = field(default_factory=list)
    newly_met: list[tuple[str, str]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    failed_participants: set[str] = field(default_factory=set)
    links: StepLinks | None = None  # each step's link, as the emails give it

    held: str = ""  # why nothing was written or sent, when so

    @property
    def exit_code(self) -> int:
        return 1 if self.failed_participants or self.held else 0


def run_sync(
    target: Ports | Any,
    config: Config,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    participant: str | None = None,
    job: str = "sync",
    full: bool = False,
    run_id: str | None = None,
) -> RunResult:
    """Run one sync of the whole program (or of one participant's outputs)."""
    run_id = run_id or new_run_id()
    logs.bind_run(run_id, job)
    only = normalise_email(participant) if participant else None
    ports: Ports = target.ports() if hasattr(target, "ports") else target
    state = ports.open_state(dry_run)
    try:
        if not dry_run:
            state.start_run(run_id, now, job)
            _recover_pending_sends(state, ports.mail)
        pulled = pull(ports.forms, config, cache=state, full=full)
        faults.checkpoint("after_pull")
        decisions = ports.decisions()
        recon = reconcile(pulled.responses, decisions, config, now)
        result = RunResult(
            run_id,
            now,
            dry_run,
            recon,
            responses_read=pulled.responses_fetched,
            responses_held=len(pulled.responses),
        )
        result.problems += [_problem(row) for row in recon.problems.to_dict("records")]
        result.problems += [
            {"where": "staff decisions", "problem": p} for p in decisions.problems
        ]
        result.problems += [
            {"where": "forms", "problem": n} for n in state.new_notices(pulled.notes)
        ]
        links = result.links = StepLinks(config, pulled.question_maps)
        targets = [p for p in recon.participants.index if only in (None, p)]
        if only and only not in recon.participants.index:
            result.problems.append(
                {"where": only, "problem": "no registration for this address"}
            )
            result.failed_participants.add(only)
        held = decisions.unreadable and not dry_run  # then no sheet is even read
        _plan_checklists(result, ports, config, links, targets, held)
        outcomes = pd.Series({p: plan.outcome for p, plan in result.checklists.items()})
        due = emails_due(
            recon.facts, recon.participants, outcomes, state.ledger(), config
        )
        result.emails_due = due[due["participant"].isin(targets)].reset_index(drop=True)
        result.newly_met = _newly_met(state.progress(), recon.progress, targets)
        if decisions.unreadable:
            result.held = "the staff decisions could not be read"
        if dry_run:
            return result
        if result.held:
            log.error("nothing written or sent: %s", result.held)
            state.finish_run(run_id, result.exit_code, summary_counts(result))
            return result
        _write_checklists(result, ports, state)
        _send_emails(result, ports, state, config, links)
        if ports.staff_view and only is None:  # a one-person run knows too little
            try:
                ports.staff_view(result, state.ledger())
            except OSError as exc:  # e.g. the file is open in Excel on Windows
                result.problems.append({"where": "staff view", "problem": str(exc)})
        if only is None:
            state.save_progress(recon.progress)
        else:
            previous = state.progress()
            keep = previous[previous["participant"] != only]
            mine = recon.progress[recon.progress["participant"] == only]
            state.save_progress(pd.concat([_as_dates(keep), mine], ignore_index=True))
        state.finish_run(run_id, result.exit_code, summary_counts(result))
        return result
    finally:
        state.close()


def new_run_id() -> str:
    """A short random id naming one run in logs, state and the lease."""
    return uuid.uuid4().hex[:12]


def _problem(row: dict[str, Any]) -> dict[str, str]:
    return {
        "where": f"form {row['form']}, response {row['response_id']}, "
        f"field {row['field']!r}",
        "problem": row["problem"],
    }


def _recover_pending_sends(state, outbox) -> None:
    """Settle emails a crashed run left between "sending" and "sent"."""
    for participant, event, seq, message_id in state.pending():
        if outbox.was_delivered(message_id):
            log.warning(
                "email %s/%s was delivered by a run that stopped before recording it; "
                "recorded now, not sent again",
                participant,
                event,
                extra={"participant": participant, "event": event},
            )
            state.mark_sent(participant, event, seq)
        else:
            log.warning(
                "email %s/%s was never delivered; it is due again",
                participant,
                event,
                extra={"participant": participant, "event": event},
            )
            state.forget_unsent(participant, event, seq)


def _plan_checklists(
    result: RunResult, ports: Ports, config: Config, links, targets, held: bool
) -> None:
    recon = result.recon
    sheets = ports.sheets
    synced = _last_synced_text(result.now, config)
    progress = recon.progress.groupby("participant")
    activities = recon.activities.groupby("participant")
    empty_activities = recon.activities.iloc[0:0]
    for person in with_progress(targets, "checklists"):
        info = recon.participants.loc[person]
        sheet_id = sheet_id_from_link(info["checklist_link"])
        if info["withdrawn"]:
            result.checklists[person] = ChecklistPlan(outcome=WITHDRAWN)
            continue
        if held:
            result.checklists[person] = ChecklistPlan(outcome=HELD, sheet_id=sheet_id)
            continue
        if sheet_id is None:
            result.checklists[person] = ChecklistPlan(
                outcome=UNREACHABLE,
                reason="the checklist link is missing or not a spreadsheet link",
            )
            continue
        try:
            snapshot = sheets.read(sheet_id)
        except ChecklistUnreachable as exc:
            result.checklists[person] = ChecklistPlan(
                outcome=UNREACHABLE, reason=str(exc)
            )
            continue
        except OSError as exc:  # the service failed, not the participant's link
            _fail(result, person, f"reading the checklist of {person}", str(exc))
            result.checklists[person] = ChecklistPlan(
                outcome=f"read failed: {exc}", sheet_id=sheet_id
            )
            continue
        mine = (
            activities.get_group(person)
            if person in activities.groups
            else empty_activities
        )
        desired = desired_values(
            person,
            recon.facts.loc[person],
            progress.get_group(person),
            config,
            links,
            sheet_url(sheet_id),
        )
        plan = plan_checklist(
            snapshot.checklist,
            snapshot.activity_log,
            desired,
            activity_log_rows(mine),
            synced,
            config,
        )
        plan.sheet_id = sheet_id
        result.checklists[person] = plan


def _write_checklists(result: RunResult, ports: Ports, state) -> None:
    sheets = ports.sheets
    for person, plan in result.checklists.items():
        sheet_id = plan.sheet_id
        if plan.outcome == NOT_RECOGNISED:
            log.warning(
                "checklist of %s: layout not recognised (%s); nothing written",
                person,
                plan.reason,
                extra={"participant": person},
            )
        elif plan.outcome == WRITTEN and plan.cells:
            try:
                sheets.write(sheet_id, plan.changes, plan.activity_log)
            except (ChecklistUnreachable, OSError, faults.InjectedFault) as exc:
                result.problems.append(
                    {"where": f"checklist of {person}", "problem": str(exc)}
                )
                result.failed_participants.add(person)
                plan.outcome = f"write failed: {exc}"
                continue
            result.cells_written += plan.cells
            log.info(
                "checklist of %s: %d cells written",
                person,
                plan.cells,
                extra={"participant": person},
            )
            faults.checkpoint("after_checklist_write")
        state.save_checklist(person, sheet_id, plan.outcome, plan.reason)


def _send_emails(
    result: RunResult, ports: Ports, state, config: Config, links: StepLinks
) -> None:
    """Send what is due: claim each in the ledger, hand it over, record it."""
    renderer = Renderer(config)
    today = result.now.astimezone(config.tz).date().isoformat()
    due = list(result.emails_due.itertuples(index=False))
    for position, row in enumerate(with_progress(due, "emails")):
        person, event = row.participant, row.event
        if person in result.failed_participants:
            continue
        where = f"email {event} to {person}"
        try:
            email = _compose(
                result, renderer, config, links, person, event, int(row.seq)
            )
        except TemplateError as exc:
            _fail(result, person, where, f"template {event}: {exc}")
            continue
        if not state.mark_sending(
            person, event, email.seq, email.message_id, today, result.run_id
        ):
            log.info(
                "email %s to %s is already claimed by another run",
                event,
                person,
                extra={"participant": person, "event": event},
            )
            continue
        try:
            ports.mail.deliver(email.message)
        except DeliveryPaused as exc:
            state.forget_unsent(person, event, email.seq)
            waiting = len(due) - position
            result.held = f"sending paused; {waiting} email(s) wait for a later run"
            result.problems.append({"where": "email", "problem": f"{exc}"})
            log.error("sending paused: %d email(s) wait for a later run", waiting)
            return
        except DeliveryUncertain as exc:
            _fail(result, person, where, str(exc))  # stays "sending": checked next run
            continue
        except (OSError, DeliveryError, faults.InjectedFault) as exc:
            state.forget_unsent(person, event, email.seq)
            _fail(result, person, where, str(exc))
            continue
        faults.checkpoint("after_deliver")
        state.mark_sent(person, event, email.seq)
        result.emails_sent.append((person, event, email.seq))
        log.info(
            "email %s sent to %s",
            event,
            person,
            extra={"participant": person, "event": event},
        )


def _fail(result: RunResult, person: str, where: str, problem: str) -> None:
    result.problems.append({"where": where, "problem": problem})
    result.failed_participants.add(person)
    log.error(
        "%s failed for %s",
        where.split(" to ")[0],
        person,
        extra={"participant": person},
    )


def compose_email(
    result: RunResult, config: Config, person: str, event: str, seq: int = 1
) -> OutgoingEmail:
    """The email ``event`` for ``person`` exactly as a run would send it.

    ``result`` is a run's result (a dry run will do) that planned ``person``'s
    checklist; nothing is claimed or sent.
    """
    return _compose(result, Renderer(config), config, result.links, person, event, seq)


def _compose(result, renderer, config, links, person, event, seq) -> OutgoingEmail:
    recon = result.recon
    info = recon.participants.loc[person]
    plan = result.checklists.get(person)
    sheet_id = plan.sheet_id if plan else None
    checklist_url = sheet_url(sheet_id) if sheet_id else config.links["checklist_copy"]
    step_key = config.emails[event].step
    if step_key == "next":
        step_key = next_requirement(recon.facts.loc[person]) or "mondays_after"
    step = links.step(step_key, person, checklist_url)
    context = {
        "name": info["display_name"] or "there",
        "program": config.program_name,
        "step": {"text": step.text, "url": step.url},
        "checklist_url": checklist_url,
        "service_account": config.links["service_account"],
        "links": {
            key: links.url(f"form:{key}", person, checklist_url)
            for key in config.forms
            if not config.forms[key].confidential
        },
    }
    return renderer.build(person, info["display_name"], event, seq, context, result.now)


def _last_synced_text(now: dt.datetime, config: Config) -> str:
    local = now.astimezone(config.tz)
    return local.strftime("%Y-%m-%d %H:%M %Z")


def _as_dates(progress: pd.DataFrame) -> pd.DataFrame:
    progress = progress.copy()
    progress["completed_on"] = pd.to_datetime(progress["completed_on"])
    return progress


def _newly_met(
    previous: pd.DataFrame, progress: pd.DataFrame, targets: list[str]
) -> list[tuple[str, str]]:
    before = set(
        zip(
            previous.loc[previous["done"] == 1, "participant"],
            previous.loc[previous["done"] == 1, "requirement"],
        )
    )
    now_done = progress[progress["done"] & progress["participant"].isin(targets)]
    return [
        (p, r)
        for p, r in zip(now_done["participant"], now_done["requirement"])
        if (p, r) not in before
    ]


def summary_counts(result: RunResult) -> dict[str, Any]:
    """The numbers of a run, as the summary shows them."""
    recon = result.recon
    plans = result.checklists.values()
    return {
        "run_id": result.run_id,
        "version": __version__,
        "now": result.now.isoformat(),
        "dry_run": result.dry_run,
        "participants": int(len(recon.participants)),
        "responses_read": result.responses_read,
        "responses_held": result.responses_held,
        "requirements_newly_met": len(result.newly_met),
        "checklist_cells_written": result.cells_written,
        "checklist_cells_to_write": sum(p.cells for p in plans if p.outcome == WRITTEN),
        "checklists": {
            o: sum(p.outcome == o for p in plans)
            for o in sorted({p.outcome for p in plans})
        },
        "emails_sent": len(result.emails_sent),
        "emails_due": 0 if result.emails_due is None else len(result.emails_due),
        "unmatched": int(len(recon.unmatched)),
        "flags": int(len(recon.flags)),
        "problems": len(result.problems),
        "failed_participants": sorted(result.failed_participants),
        "exit_code": result.exit_code,
    }
