"""Drive: copy the master checklist for a registrant and share it with them.

Used by ``provision`` for a registrant who gave no usable checklist link. The
copy is owned by the service account (or the delegated subject), named after
the participant, and shared with them as writer without Drive's own
notification mail: the welcome email carries the link.
"""

from __future__ import annotations

import logging
from typing import Any

from googleapiclient.errors import HttpError

from pmc_sync.errors import ConfigError
from pmc_sync.google.errors import GoogleApiError
from pmc_sync.google.transport import error_details

log = logging.getLogger(__name__)


class GoogleDrive:
    """Copies of the master checklist.

    Args:
        service: a ``drive`` v3 discovery client.
        master_checklist_id: the spreadsheet to copy.
    """

    def __init__(self, service: Any, master_checklist_id: str) -> None:
        self.service = service
        self.master_checklist_id = master_checklist_id

    def provision_checklist(self, participant: str, title: str) -> str:
        """Copy the master, share the copy with ``participant``; its id.

        Raises:
            ConfigError: the master cannot be read (wrong id, not shared).
            GoogleApiError: the copy or the share failed.
        """
        files = self.service.files()
        try:
            copy = files.copy(
                fileId=self.master_checklist_id,
                body={"name": title},
                fields="id",
                supportsAllDrives=True,
            ).execute()
        except HttpError as exc:
            reason, message = error_details(exc.resp.status, exc.content)
            if exc.resp.status in (403, 404):
                raise ConfigError(
                    "google.toml",
                    "google.sheets.master_checklist_id",
                    f"cannot copy {self.master_checklist_id} (HTTP "
                    f"{exc.resp.status}: {message})",
                    "check the id and share the master with the service account",
                ) from exc
            raise GoogleApiError(
                "copying the master checklist", exc.resp.status, reason, message
            ) from exc
        sheet_id = copy["id"]
        try:
            self.service.permissions().create(
                fileId=sheet_id,
                body={"type": "user", "role": "writer", "emailAddress": participant},
                sendNotificationEmail=False,
                supportsAllDrives=True,
                fields="id",
            ).execute()
        except HttpError as exc:
            reason, message = error_details(exc.resp.status, exc.content)
            raise GoogleApiError(
                f"sharing checklist {sheet_id} with {participant}",
                exc.resp.status,
                reason,
                message,
            ) from exc
        log.info("checklist %s copied for %s", sheet_id, participant)
        return sheet_id
