"""``pmc-sync check-config``: is everything a run needs in place? Changes nothing.

It loads ``config/`` (the loader names the file, the key and the fix of any
error), reads each form and matches its questions against
``config/forms.toml``, renders every email template for a sample
participant exactly as a run would, and lists the identities and scopes the
backend uses. A dry run does the reading, so nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jinja2 import TemplateError

from pmc_sync.config import Config
from pmc_sync.errors import FormMappingError, PmcSyncError
from pmc_sync.forms import build_question_map
from pmc_sync.ports import Ports
from pmc_sync.sync import compose_email, run_sync


@dataclass
class CheckReport:
    """What the check found: errors stop runs, notes do not."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_forms(ports: Ports, config: Config, report: CheckReport) -> None:
    """Each form reachable, each configured question title found once."""
    for key, mapping in config.forms.items():
        try:
            qmap = build_question_map(mapping, ports.forms.get_form(key))
        except FormMappingError as exc:
            report.errors.append(str(exc))
            continue
        except (PmcSyncError, OSError) as exc:
            report.errors.append(f"form {key!r}: cannot be read ({exc})")
            continue
        report.lines.append(
            f"form {key}: {len(qmap.field_by_qid)} question(s) matched by title"
        )
        report.notes += [
            f"form {key!r}: question {title!r} is not in config/forms.toml; "
            "a run ignores it (add it to 'ignored' to silence this)"
            for title in qmap.unknown_titles
        ]


def check_templates(
    ports: Ports, config: Config, now: dt.datetime, report: CheckReport
) -> None:
    """Every event's subject, text and HTML render for a sample participant."""
    result = run_sync(ports, config, now, dry_run=True)
    people = sorted(result.recon.participants.index)
    if not people:
        report.notes.append("no participant registered yet: templates not rendered")
        return
    sample = people[0]
    for event in config.emails:
        try:
            compose_email(result, config, sample, event)
        except (TemplateError, OSError) as exc:
            report.errors.append(
                f"templates/{event}: does not render ({type(exc).__name__}: {exc}); "
                f"fix templates/{event}.txt, .html or its subject in "
                "config/steps.toml"
            )
    report.lines.append(
        f"templates: {len(config.emails)} email(s) rendered for {sample}"
    )


def check_all(ports: Ports, config: Config, now: dt.datetime) -> CheckReport:
    """Forms first; templates only when every form matched (they need them)."""
    report = CheckReport()
    check_forms(ports, config, report)
    if not report.errors:
        check_templates(ports, config, now, report)
    return report
