"""The one HTTP seam of the Google adapters: an authorised, retrying session.

Every call, whether gspread's (requests) or a discovery client's
(googleapiclient, which expects an ``httplib2.Http``), goes through
``ApiSession.request``: credentials are attached and refreshed there, the
Sheets limiter is applied there, retries happen there, and a failed token
refresh becomes a ``GoogleAuthError`` that says what to fix. Tests replace
only the HTTP transport underneath (``responses``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import google.auth.exceptions
import httplib2
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

from pmc_sync.google.auth import explain_refresh_error
from pmc_sync.google.errors import GoogleAuthError
from pmc_sync.google.retry import (
    Backoff,
    RateLimiter,
    is_daily_limit,
    is_retryable,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

SHEETS_HOST = "sheets.googleapis.com"
DEFAULT_TIMEOUT = 60.0


def error_details(status: int, body: bytes | str) -> tuple[str, str]:
    """(reason, message) out of a Google JSON error body; raw text as fallback.

    Google puts the reason in ``error.errors[0].reason`` (older APIs) or in
    ``error.details[].reason`` / ``error.status`` (newer ones).
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        error = json.loads(text).get("error", {})
    except (ValueError, AttributeError):
        return "", text[:300]
    if not isinstance(error, dict):
        return "", str(error)[:300]
    reason = ""
    for item in error.get("errors") or []:
        reason = item.get("reason", "") or reason
    for item in error.get("details") or []:
        if isinstance(item, dict) and item.get("reason"):
            reason = reason or item["reason"]
    return reason or error.get("status", ""), error.get("message", "")


class ApiSession(AuthorizedSession):
    """An ``AuthorizedSession`` that rate-limits Sheets and retries what may pass.

    Args:
        credentials: google-auth credentials (refreshed on demand).
        backoff: delays between attempts.
        sheets_reads, sheets_writes: limiters for the Sheets per-minute quota.
        sleep: how to wait (tests pass a recorder).
        subject: the delegated user, named in auth error messages.
    """

    def __init__(
        self,
        credentials: Credentials,
        backoff: Backoff,
        sheets_reads: RateLimiter,
        sheets_writes: RateLimiter,
        sleep: Callable[[float], None] = time.sleep,
        subject: str | None = None,
    ) -> None:
        super().__init__(credentials)
        self.subject = subject
        self.backoff = backoff
        self.sheets_reads = sheets_reads
        self.sheets_writes = sheets_writes
        self.sleep = sleep

    def request(  # type: ignore[override]
        self, method: str, url: str, data: Any = None, headers: Any = None, **kwargs
    ) -> requests.Response:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        host = urlparse(url).hostname
        attempt = 0
        while True:
            if host == SHEETS_HOST:
                limiter = self.sheets_reads if method.upper() == "GET" else None
                (limiter or self.sheets_writes).acquire()
            try:
                response = super().request(
                    method, url, data=data, headers=headers, **kwargs
                )
            except google.auth.exceptions.RefreshError as exc:
                raise GoogleAuthError(explain_refresh_error(exc, self.subject)) from exc
            if response.status_code < 400 or attempt + 1 >= self.backoff.attempts:
                return response
            reason, message = error_details(response.status_code, response.content)
            if is_daily_limit(response.status_code, reason, message):
                return response
            if not is_retryable(response.status_code, reason):
                return response
            if response.status_code >= 500 and not _idempotent(method, host):
                # The call may have taken effect (a message sent, a file
                # copied): the caller decides, never a blind second attempt.
                return response
            wait = self.backoff.delay(
                attempt, retry_after_seconds(response.headers.get("Retry-After"))
            )
            log.warning(
                "%s %s: HTTP %s %s; retry %d in %.1fs",
                method.upper(),
                urlparse(url).path,
                response.status_code,
                reason,
                attempt + 1,
                wait,
            )
            self.sleep(wait)
            attempt += 1


def _idempotent(method: str, host: str | None) -> bool:
    """Whether sending the call twice does no more than sending it once.

    Sheets value writes set cells to given values, so they repeat safely;
    a Gmail send or a Drive copy would happen twice.
    """
    return method.upper() in ("GET", "PUT", "HEAD") or host == SHEETS_HOST


class HttplibAdapter:
    """``httplib2.Http``'s ``request`` over an ``ApiSession``.

    googleapiclient speaks httplib2; this lets its requests take the same
    road as gspread's (one session, one retry policy, one place to observe).
    """

    def __init__(self, session: ApiSession) -> None:
        self.session = session

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        response = self.session.request(method, uri, data=body, headers=headers)
        info = {key.lower(): value for key, value in response.headers.items()}
        info["status"] = str(response.status_code)
        result = httplib2.Response(info)
        result.reason = response.reason or ""
        return result, response.content
