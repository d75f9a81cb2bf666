"""The ports a run talks through, each with a local and a Google adapter.

The orchestrator (``sync.py``) sees only these: where forms come from,
where checklists live, how mail leaves, what staff decided and where the run
state is kept. The local workspace provides one set; the Google adapters
another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import pandas as pd

from pmc_sync.checklist import CellChange
from pmc_sync.decisions import StaffDecisions


class FormSource(Protocol):
    def get_form(self, form_key: str) -> dict[str, Any]:
        """The form as ``forms.get`` returns it."""

    def list_responses(
        self, form_key: str, since: str | None = None
    ) -> Iterable[dict[str, Any]]:
        """Every ``forms.responses.list`` page, in order; with ``since`` (UTC,
        Z form), only responses submitted at or after it."""


class SheetSnapshotLike(Protocol):
    checklist: list[list[Any]]
    activity_log: list[list[Any]] | None


class ChecklistStore(Protocol):
    def read(self, sheet_id: str) -> SheetSnapshotLike:
        """Both tabs' values; raises ChecklistUnreachable."""

    def write(
        self,
        sheet_id: str,
        changes: Sequence[CellChange],
        activity_log: list[list[str]] | None,
    ) -> None:
        """Write the changed cells and, when given, the whole activity log."""


class Mailer(Protocol):
    def deliver(self, message: EmailMessage) -> None:
        """Hand one message over for delivery; raises DeliveryError or OSError."""

    def was_delivered(self, message_id: str) -> bool:
        """Whether a message with this Message-ID was handed over before."""


class State(Protocol):
    def ledger(self) -> pd.DataFrame: ...

    def close(self) -> None: ...


@dataclass
class Ports:
    forms: FormSource
    sheets: ChecklistStore
    mail: Mailer
    decisions: Callable[[], StaffDecisions]
    open_state: Callable[[bool], Any]
    # Writes the staff's roster and needs-attention queue after a run
    # (the run's result and the email ledger); None where there is none.
    staff_view: Callable[[Any, pd.DataFrame], None] | None = None
