"""Google Workspace adapters: Forms, Sheets, Gmail, Drive and a control sheet.

``google_ports(settings, config)`` gives the orchestrator the same ports the
local workspace gives, backed by the Google APIs::

    settings = load_google_settings()
    result = run_sync(google_ports(settings, config), config, now)

Two identities: Forms, Sheets and Drive act as the service account (or
``delegated_subject``); Gmail acts as ``program_mailbox``. Both go through
one ``ApiSession`` class, so retries, the Sheets limiter and auth errors are
handled in one place.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from googleapiclient.discovery import build
from gspread.http_client import HTTPClient

from pmc_sync.checklist import UNREACHABLE
from pmc_sync.config import Config
from pmc_sync.google.auth import credentials_for
from pmc_sync.google.control_sheet import ControlSheet
from pmc_sync.google.drive_api import GoogleDrive
from pmc_sync.google.forms_api import GoogleForms
from pmc_sync.google.gmail_api import GmailMailer
from pmc_sync.google.retry import Backoff, RateLimiter
from pmc_sync.google.settings import GoogleSettings, load_google_settings
from pmc_sync.google.sheets_api import GoogleSheets
from pmc_sync.google.transport import ApiSession, HttplibAdapter
from pmc_sync.links import sheet_id_from_link
from pmc_sync.ports import Ports

__all__ = [
    "GoogleSettings",
    "google_drive",
    "google_ports",
    "load_google_settings",
    "provision_checklists",
]

FILE_APIS = ("forms", "sheets", "drive")


class _Sessions:
    """The two authorised sessions of a process, sharing limiter and backoff."""

    def __init__(
        self,
        settings: GoogleSettings,
        sleep: Callable[[float], None],
        rand: Callable[[], float],
    ) -> None:
        backoff = Backoff(
            base=settings.backoff_base_seconds,
            cap=settings.backoff_cap_seconds,
            attempts=settings.retry_attempts,
            rand=rand,
        )
        reads = RateLimiter(settings.sheets_reads_per_minute, sleep=sleep)
        writes = RateLimiter(settings.sheets_writes_per_minute, sleep=sleep)

        def session(apis: tuple[str, ...], subject: str | None) -> ApiSession:
            creds = credentials_for(
                apis, settings.key_file, subject, settings.service_account
            )
            return ApiSession(
                creds, backoff, reads, writes, sleep=sleep, subject=subject
            )

        self.files = session(FILE_APIS, settings.delegated_subject)
        self.mail = session(("gmail",), settings.program_mailbox)


def _service(name: str, version: str, session: ApiSession):
    return build(name, version, http=HttplibAdapter(session), static_discovery=True)


def google_ports(
    settings: GoogleSettings,
    config: Config,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> Ports:
    """The ports of a run against Google Workspace.

    Raises:
        GoogleAuthError: no usable credentials (nothing was requested yet).
    """
    return _build(settings, config, sleep, rand)[0]


def _build(
    settings: GoogleSettings,
    config: Config,
    sleep: Callable[[float], None],
    rand: Callable[[], float],
) -> tuple[Ports, ControlSheet, _Sessions]:
    sessions = _Sessions(settings, sleep, rand)
    sheets_http = HTTPClient(auth=sessions.files.credentials, session=sessions.files)
    control = ControlSheet(sheets_http, settings.control_spreadsheet_id)
    ports = Ports(
        forms=GoogleForms(
            _service("forms", "v1", sessions.files),
            settings.form_ids,
            settings.forms_page_size,
        ),
        sheets=GoogleSheets(
            sheets_http, config.checklist["activity_log_tab"], settings.service_account
        ),
        mail=GmailMailer(
            _service("gmail", "v1", sessions.mail), settings.program_mailbox
        ),
        decisions=control.decisions,
        open_state=control.open_state,
    )
    return ports, control, sessions


def provision_checklists(
    settings: GoogleSettings,
    config: Config,
    now: dt.datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[tuple[str, str]]:
    """Give each registrant without a usable checklist link a copy of the master.

    The copy is shared with them as writer and recorded in the control
    spreadsheet's "Checklist copies" tab, which replaces their registration
    link from the next sync on (whose welcome email then links the copy).
    Returns (participant, spreadsheet id) for each copy made.
    """
    from pmc_sync.sync import run_sync  # the orchestrator imports adapters

    ports, control, sessions = _build(settings, config, sleep, random.random)
    result = run_sync(ports, config, now, dry_run=True)
    drive = GoogleDrive(
        _service("drive", "v3", sessions.files), settings.master_checklist_id
    )
    people = result.recon.participants
    made = []
    for person, plan in sorted(result.checklists.items()):
        if plan.outcome != UNREACHABLE or sheet_id_from_link(
            people.loc[person, "checklist_link"]
        ):
            continue  # a link that parses but cannot be opened is the person's to fix
        name = people.loc[person, "full_name"] or person
        sheet_id = drive.provision_checklist(
            person, f"{config.program_name}: checklist of {name}"
        )
        control.table("Checklist copies").put(None, [person, sheet_id])
        made.append((person, sheet_id))
    control.read_only = False
    control.flush()
    return made


def google_drive(
    settings: GoogleSettings, *, sleep: Callable[[float], None] = time.sleep
) -> GoogleDrive:
    """Drive, for ``provision`` (copy the master checklist for a registrant)."""
    sessions = _Sessions(settings, sleep, random.random)
    return GoogleDrive(
        _service("drive", "v3", sessions.files), settings.master_checklist_id
    )
