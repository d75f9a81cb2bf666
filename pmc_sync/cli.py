"""The ``pmc-sync`` command line.

pmc-sync demo                     build the sample workspace and sync it
pmc-sync init DIR --forms F --cohort C
pmc-sync sync [--now T] [--dry-run] [--participant EMAIL] [--json]
pmc-sync resync --participant EMAIL | --all
pmc-sync status EMAIL
pmc-sync preview EVENT --participant EMAIL
pmc-sync check-config
pmc-sync digest [--dry-run]
pmc-sync report [--now T] [--out DIR] [--coaches]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click
import pandas as pd
from jinja2 import TemplateError

from pmc_sync import logs
from pmc_sync.config import load_config
from pmc_sync.decisions import normalise_email
from pmc_sync.errors import ConfigError, PmcSyncError
from pmc_sync.lease import LeaseHeld, hold
from pmc_sync.report import expected_view, print_dry_run, print_summary, progress_lines
from pmc_sync.runner import (
    alert_staff,
    lease_for,
    resync_requests,
    run_honouring,
    staff_records,
)
from pmc_sync.staff_mail import (
    deliver_once,
    digest_body,
    staff_message,
    week_summaries,
)
from pmc_sync.sync import (
    RunResult,
    compose_email,
    new_run_id,
    run_sync,
    summary_counts,
)
from pmc_sync.workspace import DEMO_DATA, Workspace, init_workspace

WORKSPACE_ENV = "PMC_SYNC_WORKSPACE"
EXIT_FAILED_PARTICIPANTS = 1
EXIT_CONFIG = 2
EXIT_LEASE_HELD = 3


def _parse_now(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a time like 2026-11-30T18:00:00Z"
        ) from exc
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone; add Z for UTC")
    return parsed.astimezone(dt.UTC)


def _load(config_dir: str | None):
    with _exit_on_error():
        return load_config(Path(config_dir) if config_dir else None)


workspace_option = click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get(WORKSPACE_ENV, "workspace"),
    show_default=f"${WORKSPACE_ENV} or ./workspace",
    help="The local workspace folder.",
)
BACKEND_ENV = "PMC_SYNC_BACKEND"
GOOGLE_CONFIG_ENV = "PMC_SYNC_GOOGLE_CONFIG"


def backend_options(command):
    """--backend and --google-config, shared by the commands that sync."""
    command = click.option(
        "--google-config",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=GOOGLE_CONFIG_ENV,
        help="The Google settings file "
        f"(default: ${GOOGLE_CONFIG_ENV}, then config/google.toml).",
    )(command)
    return click.option(
        "--backend",
        type=click.Choice(["local", "google"]),
        default=lambda: os.environ.get(BACKEND_ENV, "local"),
        show_default=f"${BACKEND_ENV} or local",
        help="Where forms, checklists, mail and state live.",
    )(command)


def _open_ports(backend: str, workspace: Path, config, google_config: Path | None):
    """The local workspace, or the Google Workspace adapters."""
    if backend == "google":
        from pmc_sync.google import google_ports, load_google_settings

        return google_ports(load_google_settings(google_config), config)
    return Workspace.open(workspace, config)


@contextmanager
def _exit_on_error() -> Iterator[None]:
    """Turn the errors that stop a run before it does anything into exits:
    2 for configuration, credentials or workspace, 3 for a held lease."""
    try:
        yield
    except LeaseHeld as exc:
        click.echo(f"not run: {exc}", err=True)
        sys.exit(EXIT_LEASE_HELD)
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except PmcSyncError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)


wait_option = click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    help="When another run holds the lease, wait up to this many seconds for "
    "it (default: exit at once with status 3).",
)


def _run_leased(
    backend: str,
    workspace: Path,
    config_dir: str | None,
    google_config: Path | None,
    now_text: str | None,
    *,
    wait_seconds: float = 0,
    job: str = "sync",
    dry_run: bool = False,
    **options,
) -> RunResult:
    """Open the ports, hold the lease for the run, run it.

    Exits 2 on a configuration, credentials or workspace error and 3 when
    another run holds the lease: in both cases nothing was done. A dry run
    writes nothing, so it takes no lease.
    """
    config = _load(config_dir)
    now = _parse_now(now_text)
    run_id = new_run_id()
    logs.bind_run(run_id, job)
    options["run_id"] = run_id
    with _exit_on_error():
        ports = _open_ports(backend, workspace, config, google_config)
        lease = None if dry_run else lease_for(backend, workspace, ports, google_config)
        with hold(lease, f"{job} {run_id}", wait_seconds) if lease else nullcontext():
            if dry_run:
                return run_sync(ports, config, now, job=job, dry_run=dry_run, **options)
            requests = resync_requests(backend, workspace, ports, google_config)
            records = staff_records(backend, workspace, ports, google_config)
            try:
                result = run_honouring(requests, ports, config, now, job=job, **options)
            except PmcSyncError as exc:
                alert_staff(ports, records, config, now, error=exc)
                raise
            alert_staff(ports, records, config, now, result=result)
            return result


config_option = click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False),
    help="The config/ folder to use.",
)


def reading_options(command):
    """-w, --config, --now, --backend and --google-config, for commands that
    read the program (check-config, preview) and write nothing."""
    command = backend_options(command)
    command = click.option(
        "--now", "now_text", help="As of this time (default: the clock)."
    )(command)
    return workspace_option(config_option(command))


@click.group()
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log each decision (by participant and event).",
)
def cli(verbose: bool) -> None:
    """Sync the Postdoc Mentoring Certificate: forms in, checklists and emails out."""
    logs.configure(verbose)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--forms",
    "forms_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of <form key>.json (forms.get).",
)
@click.option(
    "--cohort",
    "cohort_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with responses/, checklists/ and staff-decisions.json.",
)
@config_option
def init(
    directory: Path, forms_dir: Path, cohort_dir: Path, config_dir: str | None
) -> None:
    """Build a local workspace from folders laid out like the program kit.

    Example: pmc-sync init ws --forms kit/forms --cohort kit/sample
    """
    config = _load(config_dir)
    with _exit_on_error():
        init_workspace(directory, forms_dir, cohort_dir, config)
    click.echo(f"workspace ready: {directory}")


@cli.command()
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the demo workspace (default: a new temporary folder).",
)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def demo(into: Path | None, config_dir: str | None, as_json: bool) -> None:
    """Build a fresh workspace from the bundled sample cohort and sync it.

    The run uses the sample's own "now", so it reaches the sample's expected
    outcome. Example: pmc-sync demo --into /tmp/pmc-demo
    """
    config = _load(config_dir)
    root = into or Path(tempfile.mkdtemp(prefix="pmc-demo-"))
    sample = DEMO_DATA / "sample"
    with _exit_on_error():
        workspace = init_workspace(root, DEMO_DATA / "forms", sample, config)
    now = _parse_now(json.loads((sample / "expected.json").read_text())["now"])
    result = run_sync(workspace, config, now, job="demo")
    places = {
        "workspace": (root, ""),
        "checklists": (root / "checklists", "open the .xlsx files"),
        "outbox": (root / "outbox", "one .eml file per email sent"),
        "staff view": (root / "staff", "roster and needs-attention queue"),
        "staff file": (root / "staff-decisions.xlsx", "staff decisions"),
    }
    if as_json:
        counts = summary_counts(result) | {"problem_list": result.problems}
        counts["places"] = {name: str(path) for name, (path, _) in places.items()}
        click.echo(json.dumps(counts, indent=1, default=str))
    else:
        _report(result, as_json)
        click.echo("")
        for name, (path, what) in places.items():
            click.echo(f"{name + ':':<12}{path}" + (f"  ({what})" if what else ""))
    sys.exit(result.exit_code)


@cli.command()
@workspace_option
@config_option
@click.option(
    "--now",
    "now_text",
    help="The run's time, e.g. 2026-11-30T18:00:00Z (default: the clock).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Pull and reconcile; print what would be written and sent.",
)
@click.option("--participant", help="Write and send only for this participant's email.")
@click.option(
    "--full",
    is_flag=True,
    help="Re-read every response, not only those since the last run "
    "(a response deleted in the form then stops counting).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@wait_option
@backend_options
def sync(
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    now_text: str | None,
    dry_run: bool,
    participant: str | None,
    full: bool,
    as_json: bool,
    wait_seconds: float,
) -> None:
    """Pull every form, reconcile, update checklists and send due emails.

    Exit status: 0 all done, 1 some participants failed (the rest were
    done), 2 configuration or credentials error (nothing done), 3 another
    run holds the lease (nothing done).
    """
    result = _run_leased(
        backend,
        workspace,
        config_dir,
        google_config,
        now_text,
        wait_seconds=wait_seconds,
        dry_run=dry_run,
        participant=participant,
        full=full,
    )
    if dry_run and not as_json:
        print_dry_run(result)
    _report(result, as_json)
    sys.exit(result.exit_code)


@cli.command()
@workspace_option
@config_option
@click.option("--participant", help="The participant's email.")
@click.option("--all", "everyone", is_flag=True, help="Every participant.")
@click.option("--now", "now_text", help="The run's time (default: the clock).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@wait_option
@backend_options
def resync(
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    participant: str | None,
    everyone: bool,
    now_text: str | None,
    as_json: bool,
    wait_seconds: float,
) -> None:
    """Re-read everything for a participant, ignoring what earlier runs read.

    Rewrites their checklist and sends what is due and not yet sent;
    running it twice changes nothing the second time. Exit status as for
    sync. Example: pmc-sync resync --participant ana@example.edu
    """
    if bool(participant) == everyone:
        raise click.UsageError("give either --participant EMAIL or --all")
    result = _run_leased(
        backend,
        workspace,
        config_dir,
        google_config,
        now_text,
        wait_seconds=wait_seconds,
        job="resync",
        participant=participant,
        full=True,
    )
    _report(result, as_json)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("email")
@workspace_option
@config_option
@click.option(
    "--now", "now_text", help="Compute progress as of this time (default: the clock)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print as JSON, in the shape of the kit's expected.json.",
)
@backend_options
def status(
    email: str,
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    now_text: str | None,
    as_json: bool,
) -> None:
    """Print one participant's progress table (reads only; writes nothing)."""
    config = _load(config_dir)
    with _exit_on_error():
        ports = _open_ports(backend, workspace, config, google_config)
        result = run_sync(
            ports, config, _parse_now(now_text), dry_run=True, participant=email
        )
    key = normalise_email(email)
    if key not in result.recon.participants.index:
        raise click.ClickException(f"{email}: no registration for this address")
    if as_json:
        click.echo(json.dumps(expected_view(result)["participants"][key], indent=1))
    else:
        for line in progress_lines(result, key):
            click.echo(line)


@cli.command("report")
@workspace_option
@config_option
@click.option(
    "--now", "now_text", help="Evaluate as of this time (default: the clock)."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write report.html and the CSV files "
    "(default: <workspace>/report).",
)
@click.option(
    "--coaches",
    is_flag=True,
    help="Add the coaches' section: the confidential mentee assessments, "
    "aggregated. Share that report with coaches only.",
)
def report_command(
    workspace: Path,
    config_dir: str | None,
    now_text: str | None,
    out_dir: Path | None,
    coaches: bool,
) -> None:
    """Write the program evaluation: report.html (one file, opens offline)
    and a CSV file per table. Aggregates only: no names or addresses, and
    groups smaller than [evaluation] min_group_size are suppressed.

    Reads the forms; writes nothing else. Example:
    pmc-sync report -w ws --now 2026-11-30T18:00:00Z --out /tmp/evaluation
    """
    # Imported here: matplotlib is slow to load and only this command needs it.
    from pmc_sync.evaluation_report import report_from_source

    config = _load(config_dir)
    with _exit_on_error():
        ws = Workspace.open(workspace, config)
        path = report_from_source(
            ws.forms(),
            ws.decisions(),
            config,
            _parse_now(now_text),
            out_dir or ws.root / "report",
            coaches=coaches,
        )
    click.echo(f"report: {path}")
    if coaches:
        click.echo("contains the confidential mentee assessments: for coaches only")


@cli.command()
@config_option
@click.option(
    "--google-config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=GOOGLE_CONFIG_ENV,
    help="The Google settings file "
    f"(default: ${GOOGLE_CONFIG_ENV}, then config/google.toml).",
)
@click.option("--now", "now_text", help="As of this time (default: the clock).")
def provision(config_dir: str | None, google_config: Path | None, now_text) -> None:
    """Copy the master checklist for each registrant who gave no usable link.

    Google Workspace only: each copy is shared with its participant as
    writer and recorded in the control spreadsheet ("Checklist copies"); the
    next sync writes it and the welcome email links it.
    """
    from pmc_sync.google import load_google_settings, provision_checklists

    config = _load(config_dir)
    with _exit_on_error():
        settings = load_google_settings(google_config)
        made = provision_checklists(settings, config, _parse_now(now_text))
    for person, sheet_id in made:
        click.echo(f"{person}: new checklist {sheet_id}")
    click.echo(f"{len(made)} checklist(s) provisioned")


@cli.command("check-config")
@reading_options
def check_config(
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    now_text: str | None,
) -> None:
    """Check config/, the forms, the templates and the identities; change nothing.

    Reads each form and compares its questions with config/forms.toml,
    renders every email for a sample participant, and prints the
    identities and Google scopes in use. Exit status 2 on any error.
    """
    from pmc_sync.checks import check_all
    from pmc_sync.google.auth import scopes_text

    config = _load(config_dir)
    with _exit_on_error():
        target = _open_ports(backend, workspace, config, google_config)
        ports = target.ports() if hasattr(target, "ports") else target
        report = check_all(ports, config, _parse_now(now_text))
        identities = _identities(backend, workspace, config, google_config)
    click.echo(f"config: {config_dir or 'config/'} loads")
    for line in report.lines + identities:
        click.echo(line)
    click.echo("Google scopes (with --backend google):")
    for scope in scopes_text():
        click.echo(f"  {scope}")
    for note in report.notes:
        click.echo(f"note: {note}")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        sys.exit(EXIT_CONFIG)
    click.echo("everything a run needs is in place")


def _identities(
    backend: str, workspace: Path, config, google_config: Path | None
) -> list[str]:
    sender = f"mail from: {config.mail['from_address']}"
    if backend != "google":
        return [f"backend: local workspace {workspace}", sender + " (into outbox/)"]
    from pmc_sync.google import load_google_settings

    settings = load_google_settings(google_config)
    return [
        "backend: Google Workspace, project " + settings.project,
        "forms, sheets, drive as: "
        + (settings.delegated_subject or settings.service_account),
        f"gmail as: {settings.program_mailbox}",
        sender,
    ]


@cli.command()
@click.argument("event")
@click.option("--participant", required=True, help="The participant's email.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the HTML part (default: a new temporary file).",
)
@reading_options
def preview(
    event: str,
    participant: str,
    html_path: Path | None,
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    now_text: str | None,
) -> None:
    """Show an email as it would be sent to a participant, without sending it.

    Prints the headers and the text part; writes the HTML part to a file.
    Example: pmc-sync preview t1_complete --participant ana@example.edu
    """
    config = _load(config_dir)
    if event not in config.emails:
        raise click.BadParameter(
            f"{event!r} is not an email event; one of: {', '.join(config.emails)}",
            param_hint="EVENT",
        )
    key = normalise_email(participant)
    result = _run_leased(
        backend,
        workspace,
        config_dir,
        google_config,
        now_text,
        dry_run=True,
        participant=participant,
    )
    if key not in result.recon.participants.index:
        raise click.ClickException(f"{participant}: no registration for this address")
    try:
        email = compose_email(result, config, key, event)
    except TemplateError as exc:
        raise click.ClickException(f"templates/{event}: {exc}") from exc
    message = email.message
    for header in ("From", "To", "Reply-To", "Subject", "Message-ID"):
        click.echo(f"{header}: {message[header]}")
    click.echo("")
    click.echo(message.get_body(("plain",)).get_content())
    html = message.get_body(("html",)).get_content()
    if html_path is None:
        handle, name = tempfile.mkstemp(prefix=f"pmc-preview-{event}-", suffix=".html")
        os.close(handle)
        html_path = Path(name)
    html_path.write_text(html, encoding="utf-8")
    click.echo(f"HTML part: {html_path}")


@cli.command()
@reading_options
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it.")
def digest(
    workspace: Path,
    backend: str,
    google_config: Path | None,
    config_dir: str | None,
    now_text: str | None,
    dry_run: bool,
) -> None:
    """Email the week's digest to mail.staff_address (program.toml).

    Completions, what needs staff (flags, unmatched responses, unreachable
    checklists...) and the runs that failed. Sent once per ISO week.
    Example: pmc-sync digest --dry-run
    """
    config = _load(config_dir)
    now = _parse_now(now_text)
    with _exit_on_error():
        target = _open_ports(backend, workspace, config, google_config)
        ports = target.ports() if hasattr(target, "ports") else target
        records = staff_records(backend, workspace, ports, google_config)
        result = run_sync(ports, config, now, dry_run=True, job="digest")
        state = ports.open_state(True)
        ledger = state.ledger()
        state.close()
        summaries = week_summaries(records.summaries, now)
        body = digest_body(result, ledger, summaries, now, config)
        year, week, _ = now.astimezone(config.tz).isocalendar()
        subject = f"{config.program_name}: weekly digest, {year}-W{week:02d}"
        if dry_run:
            click.echo(f"Subject: {subject}\n\n{body}")
            return
        message = staff_message(config, subject, body, "digest", year * 100 + week, now)
        sent = deliver_once(ports.mail, message)
    to = config.mail["staff_address"]
    click.echo(f"digest sent to {to}" if sent else f"digest already sent to {to}")


def _report(result, as_json: bool) -> None:
    if as_json:
        counts = summary_counts(result)
        counts["problem_list"] = result.problems
        click.echo(json.dumps(counts, indent=1, default=str))
    else:
        print_summary(result)


def main() -> None:
    pd.set_option("display.width", 160)
    cli()
