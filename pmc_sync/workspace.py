"""The local workspace: a folder that stands in for the Google side.

forms/<form key>.json                 forms.get, as the API returns it
responses/<form key>/page-NNN.json    forms.responses.list pages
checklists/<spreadsheet id>.xlsx      each participant's checklist copy
staff-decisions.xlsx                  what staff decided
outbox/*.eml                          mail that was sent
state.sqlite                          sent emails, cursors, runs
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from pmc_sync.adapters.local_forms import LocalForms
from pmc_sync.adapters.local_mail import LocalOutbox
from pmc_sync.adapters.local_sheets import LocalSheets, csv_to_xlsx
from pmc_sync.adapters.local_staff import read_decisions, write_decisions
from pmc_sync.config import Config
from pmc_sync.decisions import StaffDecisions, decisions_from_json
from pmc_sync.errors import WorkspaceError
from pmc_sync.ports import Ports
from pmc_sync.staff_view import write_staff_view
from pmc_sync.state import SqliteState

DEMO_DATA = Path(__file__).resolve().parent / "demo"
STAFF_FILE = "staff-decisions.xlsx"
MARKER = "pmc-workspace.json"


@dataclass
class Workspace:
    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path, config: Config) -> Workspace:
        root = Path(root)
        if not (root / MARKER).is_file():
            raise WorkspaceError(
                f"{root}: not a pmc-sync workspace (no {MARKER}); "
                "create one with `pmc-sync init` or `pmc-sync demo`"
            )
        return cls(root, config)

    def forms(self) -> LocalForms:
        return LocalForms(self.root)

    def sheets(self) -> LocalSheets:
        return LocalSheets(
            self.root / "checklists", self.config.checklist["activity_log_tab"]
        )

    def outbox(self) -> LocalOutbox:
        return LocalOutbox(self.root / "outbox")

    def decisions(self) -> StaffDecisions:
        return read_decisions(self.root / STAFF_FILE)

    def state(self, read_only: bool = False) -> SqliteState:
        return SqliteState(self.root / "state.sqlite", read_only=read_only)

    def ports(self) -> Ports:
        return Ports(
            forms=self.forms(),
            sheets=self.sheets(),
            mail=self.outbox(),
            decisions=self.decisions,
            open_state=lambda read_only: self.state(read_only=read_only),
            staff_view=lambda result, ledger: write_staff_view(
                self.root, result, ledger
            ),
        )


def init_workspace(
    root: Path, forms_dir: Path, cohort_dir: Path, config: Config
) -> Workspace:
    """Build a workspace from folders laid out like the program kit.

    ``forms_dir`` holds ``<form key>.json``; ``cohort_dir`` holds
    ``responses/<form key>/page-NNN.json``, ``checklists/<id>.csv`` and
    ``staff-decisions.json``.
    """
    root, forms_dir, cohort_dir = Path(root), Path(forms_dir), Path(cohort_dir)
    if root.exists() and any(root.iterdir()):
        raise WorkspaceError(f"{root}: exists and is not empty; pick a new folder")
    missing = [key for key in config.forms if not (forms_dir / f"{key}.json").is_file()]
    if missing:
        raise WorkspaceError(
            f"{forms_dir}: no {missing[0]}.json (every configured form is needed)"
        )
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(forms_dir, root / "forms", dirs_exist_ok=True)
    responses = cohort_dir / "responses"
    if responses.is_dir():
        shutil.copytree(responses, root / "responses")
    else:
        (root / "responses").mkdir()
    (root / "checklists").mkdir()
    for csv_path in sorted((cohort_dir / "checklists").glob("*.csv")):
        csv_to_xlsx(
            csv_path,
            root / "checklists" / f"{csv_path.stem}.xlsx",
            config.checklist["status_header"],
        )
    decisions_json = cohort_dir / "staff-decisions.json"
    decisions = StaffDecisions()
    if decisions_json.is_file():
        decisions = decisions_from_json(
            json.loads(decisions_json.read_text(encoding="utf-8")), str(decisions_json)
        )
        if decisions.problems:
            raise WorkspaceError("; ".join(decisions.problems))
    write_decisions(root / STAFF_FILE, decisions)
    (root / "outbox").mkdir()
    (root / MARKER).write_text(json.dumps({"format": 1}) + "\n", encoding="utf-8")
    return Workspace(root, config)
