"""Credentials for the Google adapters, and what to do when they fail.

Three ways to be the service account: a key file, Application Default
Credentials (Cloud Run, Cloud Scheduler, ``gcloud auth application-default
login``), or workload identity (ADC too). Gmail always acts as the program
mailbox through domain-wide delegation; Forms, Sheets and Drive act as the
service account itself unless a subject is configured for them.

Every scope the adapters ask for is listed in ``SCOPES``, once.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable

import google.auth
import google.auth.exceptions
import google.auth.iam
import google.auth.transport.requests
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from pmc_sync.google.errors import GoogleAuthError

log = logging.getLogger(__name__)

TOKEN_URI = "https://oauth2.googleapis.com/token"

SCOPES: dict[str, tuple[str, ...]] = {
    # forms.get and forms.responses.list; nothing is ever changed in a form.
    "forms": (
        "https://www.googleapis.com/auth/forms.body.readonly",
        "https://www.googleapis.com/auth/forms.responses.readonly",
    ),
    # Checklists (shared with the service account) and the control sheet.
    "sheets": ("https://www.googleapis.com/auth/spreadsheets",),
    # Copying the master checklist and sharing the copy (`provision` only).
    "drive": ("https://www.googleapis.com/auth/drive",),
    # Sending as the program mailbox; reading it only to find, after a crash,
    # whether a Message-ID went out (messages.list with q=rfc822msgid:).
    "gmail": (
        "https://www.googleapis.com/auth/gmail.send",
        "https://www.googleapis.com/auth/gmail.readonly",
    ),
}


def delegation_scopes() -> str:
    """The comma-separated list to paste into the Admin console."""
    return ",".join(SCOPES["gmail"])


_INVALID_GRANT = (
    "the token endpoint refused the service account's signed request "
    "(invalid_grant: {detail}). Either this machine's clock is off by more "
    "than a few minutes (check NTP), the key was deleted or disabled in IAM "
    "(create a new key, or use ADC), or the delegated subject {subject!r} is "
    "not a user of the domain (fix delegated_subject in config/google.toml)"
)
_UNAUTHORIZED_CLIENT = (
    "domain-wide delegation is not allowed for these scopes "
    "(unauthorized_client: {detail}). In the Admin console, Security > Access "
    "and data control > API controls > Domain-wide delegation, add the service "
    "account's client ID with exactly these scopes: {scopes}"
)
_GENERIC = (
    "cannot get an access token ({detail}). Check key_file or ADC "
    "(`gcloud auth application-default login`) and config/google.toml"
)


def explain_refresh_error(
    exc: google.auth.exceptions.RefreshError,
    subject: str | None = None,
) -> str:
    """A message for a failed token refresh that names the fix."""
    detail = str(exc.args[0]) if exc.args else str(exc)
    if "invalid_grant" in detail:
        return _INVALID_GRANT.format(detail=detail, subject=subject or "(none)")
    if "unauthorized_client" in detail:
        return _UNAUTHORIZED_CLIENT.format(detail=detail, scopes=delegation_scopes())
    return _GENERIC.format(detail=detail)


def explain_gmail_error(status: int, message: str, mailbox: str) -> str | None:
    """The fix for Gmail's delegation errors, or None for any other error."""
    if "Precondition check failed" in message:
        return (
            f"Gmail refused to act without a mailbox ({message}): set "
            "program_mailbox in config/google.toml to a user of the domain "
            f"(now {mailbox!r}) and allow delegation for it; a service account "
            "has no mailbox of its own"
        )
    if "Delegation denied" in message:
        return (
            f"Gmail: {message}. The service account acts as program_mailbox "
            f"({mailbox!r}) and may send only as that user: make [mail] "
            "from_address in config/program.toml that mailbox or one of its "
            "send-as aliases, or fix program_mailbox in config/google.toml"
        )
    return None


def _check_private(key_file: str) -> None:
    """A key that other users of the machine can read is refused."""
    try:
        mode = os.stat(key_file).st_mode
    except OSError:
        return  # reading it below gives the clearer message
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise GoogleAuthError(
            f"key_file {key_file!r} can be read by other users (mode "
            f"{stat.S_IMODE(mode):o}); run `chmod 600 {key_file}`, or mount it "
            "as a secret readable only by the job's user"
        )


def credentials_for(
    apis: Iterable[str],
    key_file: str | None,
    subject: str | None,
    service_account_email: str | None = None,
) -> Credentials:
    """Credentials with the scopes of ``apis``, acting as ``subject`` when given.

    With a key file the key signs the token request. Without one, ADC: on
    Cloud Run the metadata server's credentials cannot act as a user, so for
    a subject the token request is signed by the IAM ``signJwt`` API instead
    (the service account needs roles/iam.serviceAccountTokenCreator on itself).

    Raises:
        GoogleAuthError: no usable credentials.
    """
    scopes = scopes_text(apis)
    if key_file:
        _check_private(key_file)
        try:
            creds = service_account.Credentials.from_service_account_file(
                key_file, scopes=scopes
            )
        except (OSError, ValueError) as exc:
            raise GoogleAuthError(
                f"key_file {key_file!r}: cannot be read as a service-account key "
                f"({exc}); download a JSON key from IAM or remove key_file to use ADC"
            ) from exc
        return creds.with_subject(subject) if subject else creds
    try:
        source, _ = google.auth.default(scopes=scopes)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise GoogleAuthError(
            f"no key_file and no Application Default Credentials ({exc}); set "
            "key_file in config/google.toml or run on Cloud Run with a service "
            "account"
        ) from exc
    if not subject:
        return source
    if hasattr(source, "with_subject"):
        return source.with_subject(subject)
    email = service_account_email or getattr(source, "service_account_email", None)
    if not email or email == "default":
        raise GoogleAuthError(
            "acting as a delegated subject with ADC needs the service account's "
            "address: set service_account in config/google.toml"
        )
    signer = google.auth.iam.Signer(
        google.auth.transport.requests.Request(), source, email
    )
    return service_account.Credentials(
        signer, email, TOKEN_URI, scopes=scopes, subject=subject
    )


def scopes_text(apis: Iterable[str] = SCOPES) -> list[str]:
    """Every scope of the given adapters, for docs and checks."""
    return sorted({scope for api in apis for scope in SCOPES[api]})
