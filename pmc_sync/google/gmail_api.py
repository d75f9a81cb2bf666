"""Mail sent as the program mailbox through the Gmail API.

``users.messages.send`` with ``userId="me"`` (the delegated mailbox) and the
message built by ``pmc_sync.mail`` as ``raw`` base64url. ``was_delivered``
asks Gmail itself (``users.messages.list`` with ``q=rfc822msgid:``), which
is how a run settles an email a crashed run left between "sending" and
"sent". When Gmail reports the daily sending limit, this mailer stops: no
further send is attempted in the run, and each held-back email raises
``SendingPaused`` so it stays due for a later run.
"""

from __future__ import annotations

import base64
import logging
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from googleapiclient.errors import HttpError

from pmc_sync.errors import DeliveryUncertain
from pmc_sync.google.auth import explain_gmail_error
from pmc_sync.google.errors import GoogleApiError, SendingPaused, UnsafeMessage
from pmc_sync.google.retry import is_daily_limit
from pmc_sync.google.transport import error_details

log = logging.getLogger(__name__)


def _recipients(message: EmailMessage) -> list[str]:
    return [
        address.addr_spec
        for name in ("To", "Cc", "Bcc")
        for header in message.get_all(name, [])
        for address in getattr(header, "addresses", ())
    ]


def raw_message(message: EmailMessage) -> str:
    """The message as Gmail's ``raw``: RFC 5322 bytes (CRLF), base64url.

    Gmail takes the recipients from the headers of ``raw``, so the bytes are
    parsed back first: they must name the one recipient the message was
    built for, and no other (a form answer that broke out of a display name
    could otherwise redirect or copy the email).

    Raises:
        UnsafeMessage: the bytes name other or more recipients.
    """
    data = message.as_bytes(policy=policy.SMTP)
    meant = _recipients(message)
    sent = _recipients(message_from_bytes(data, policy=policy.default))
    if len(meant) != 1 or sent != meant:
        raise UnsafeMessage(
            f"message {message['Message-ID']} not sent: built for "
            f"{', '.join(meant) or 'nobody'}, but its encoded headers name "
            f"{', '.join(sent) or 'nobody'}; a name from a form answer was not "
            "quoted (see pmc_sync.mail): fix the answer or the message builder"
        )
    return base64.urlsafe_b64encode(data).decode()


class GmailMailer:
    """Delivers through Gmail; stops for the run at the daily sending limit.

    Args:
        service: a ``gmail`` v1 discovery client acting as the mailbox.
        mailbox: the program mailbox (for messages).
    """

    def __init__(self, service: Any, mailbox: str) -> None:
        self.service = service
        self.mailbox = mailbox
        self.paused: str | None = None
        self.held_back = 0

    def _error(self, what: str, exc: HttpError) -> Exception:
        status = exc.resp.status
        reason, message = error_details(status, exc.content)
        fix = explain_gmail_error(status, message, self.mailbox)
        return GoogleApiError(what, status, reason, fix or message)

    def deliver(self, message: EmailMessage) -> None:
        """Send one message.

        Raises:
            UnsafeMessage: the message would reach more than its one recipient.
            SendingPaused: the daily sending limit was reached (now or earlier
                in this run); nothing was sent.
            GoogleApiError: Gmail refused the message (after retries).
        """
        if self.paused is not None:
            self.held_back += 1
            raise SendingPaused(self.mailbox, self.held_back, self.paused)
        message_id = str(message["Message-ID"])
        body = {"raw": raw_message(message)}
        try:
            self.service.users().messages().send(userId="me", body=body).execute()
        except HttpError as exc:
            status = exc.resp.status
            reason, text = error_details(status, exc.content)
            if is_daily_limit(status, reason, text):
                self.paused = text or reason
                self.held_back += 1
                log.warning("Gmail sending paused for this run: %s", self.paused)
                raise SendingPaused(self.mailbox, self.held_back, self.paused) from exc
            if status >= 500 and self.was_delivered(message_id):
                log.warning(
                    "Gmail answered %s to a send of %s, but the message is in the "
                    "mailbox: counted as sent",
                    status,
                    message_id,
                )
                return
            if status >= 500:
                raise DeliveryUncertain(
                    f"sending {message_id}: Gmail answered {status} and the "
                    "message is not (yet) in the mailbox; kept as 'sending' so "
                    "the next run checks again before sending it"
                ) from exc
            raise self._error(f"sending {message_id}", exc) from exc
        except GoogleApiError as exc:
            if exc.status < 500:
                raise  # a definite refusal: nothing went out
            raise DeliveryUncertain(f"sending {message_id}: {exc}") from exc
        except (OSError, ConnectionError, TimeoutError) as exc:
            # A timeout or a dropped connection after the request left: Gmail
            # may have the message. Keep the claim; the next run asks Gmail.
            raise DeliveryUncertain(
                f"sending {message_id}: {type(exc).__name__} ({exc}); kept as "
                "'sending' so the next run checks the mailbox before sending it"
            ) from exc
        log.debug("sent %s", message_id)

    def was_delivered(self, message_id: str) -> bool:
        """Whether the mailbox holds a message with this Message-ID."""
        query = f"rfc822msgid:{message_id.strip().strip('<>')}"
        try:
            found = (
                self.service.users()
                .messages()
                .list(userId="me", q=query, includeSpamTrash=True, maxResults=1)
                .execute()
            )
        except HttpError as exc:
            raise self._error(f"looking up {message_id}", exc) from exc
        return bool(found.get("messages"))
