"""The exceptions pmc-sync raises, each naming what was wrong and the fix."""

from __future__ import annotations


class PmcSyncError(Exception):
    """Base of every error pmc-sync raises on purpose."""


class ConfigError(PmcSyncError, ValueError):
    """A setting in ``config/`` is missing or wrong; nothing was done."""

    def __init__(self, file: str, key: str, problem: str, fix: str = "") -> None:
        self.file = file
        self.key = key
        self.problem = problem
        self.fix = fix
        message = f"{file}: {key}: {problem}"
        if fix:
            message += f" (fix: {fix})"
        super().__init__(message)


class FormMappingError(ConfigError):
    """A configured question title is missing from, or ambiguous in, a form."""


class WorkspaceError(PmcSyncError):
    """The workspace folder is missing or not laid out as expected."""


class StateUnavailable(PmcSyncError):
    """The run state (sent emails, cursors) cannot be read or written."""


class ChecklistUnreachable(PmcSyncError):
    """A participant's checklist cannot be opened (bad link, gone, not shared)."""


class DeliveryError(PmcSyncError):
    """An email could not be handed to the mail service."""


class DeliveryPaused(DeliveryError):
    """The mail service takes no more mail this run (a daily limit)."""


class DeliveryUncertain(DeliveryError, OSError):
    """The mail service failed in a way that leaves unknown whether it sent.

    The email stays recorded as "sending"; the next run asks the service.
    """
