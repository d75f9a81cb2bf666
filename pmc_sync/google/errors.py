"""The errors the Google adapters raise, each saying what to fix.

They extend the project's tree in ``pmc_sync.errors``. An API failure that
is about one participant (a send, a write) is also an ``OSError``, so the
orchestrator records it against that participant and the run goes on.
"""

from __future__ import annotations

from pmc_sync.errors import DeliveryError, DeliveryPaused, PmcSyncError


class GoogleError(PmcSyncError):
    """Base of every error raised by the Google adapters."""


class GoogleAuthError(GoogleError):
    """Credentials could not be built or refreshed; nothing was read or written."""


class GoogleApiError(GoogleError, OSError):
    """A Google API answered with an error that retrying did not fix."""

    def __init__(self, what: str, status: int, reason: str, detail: str) -> None:
        self.what = what
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(f"{what}: HTTP {status} {reason or ''} {detail}".strip())


class SendingPaused(DeliveryPaused, OSError):
    """Gmail's daily sending limit is reached: no more email goes out this run."""

    def __init__(self, mailbox: str, held_back: int, detail: str) -> None:
        self.mailbox = mailbox
        self.held_back = held_back
        self.detail = detail
        super().__init__(
            f"Gmail daily sending limit reached for {mailbox} ({detail}); "
            f"{held_back} email(s) held back in this run so far. They stay due "
            "and go out on a run after the limit resets (Gmail counts a rolling "
            "24 hours); nothing needs to be done unless this happens every day"
        )


class UnsafeMessage(DeliveryError, OSError):
    """A message whose headers would reach someone other than its one recipient."""
