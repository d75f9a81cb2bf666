"""Forms, read from the Google Forms API v1 (``forms.get``, ``responses.list``).

The discovery client is built from the document shipped inside
google-api-python-client (``static_discovery=True``): nothing is fetched at
start-up. Reads are incremental when the caller gives ``since``: the
``timestamp >= since`` filter returns what was submitted at or after the
cursor, the boundary included, and the caller de-duplicates by response id
and ``lastSubmittedTime`` (see ``pmc_sync.pull``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from googleapiclient.errors import HttpError

from pmc_sync.errors import ConfigError
from pmc_sync.google.errors import GoogleApiError
from pmc_sync.google.transport import error_details

log = logging.getLogger(__name__)


def zulu(stamp: str) -> str:
    """An RFC 3339 time as UTC with a ``Z``, keeping its fraction of a second.

    >>> zulu("2026-11-30T10:00:00.25-08:00")
    '2026-11-30T18:00:00.250000Z'
    >>> zulu("2026-01-05T17:29:00.449123456Z")
    '2026-01-05T17:29:00.449123456Z'
    """
    text = stamp.strip()
    if text.endswith("Z") and "+" not in text:
        head, _, frac = text[:-1].partition(".")
        dt.datetime.fromisoformat(head)  # raises ValueError when malformed
        return f"{head}.{frac}Z" if frac else f"{head}Z"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{stamp!r} has no time zone")
    utc = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat() + "Z"


class GoogleForms:
    """The program's forms through the Forms API.

    Args:
        service: a ``forms`` v1 discovery client.
        form_ids: form key -> form id (``config/google.toml`` [google.forms]).
        page_size: ``pageSize`` of ``responses.list``.
    """

    def __init__(self, service: Any, form_ids: dict[str, str], page_size: int):
        self.service = service
        self.form_ids = form_ids
        self.page_size = page_size

    def _form_id(self, form_key: str) -> str:
        if form_key not in self.form_ids:
            raise ConfigError(
                "google.toml",
                f"google.forms.{form_key}",
                "missing",
                "give the id of the form from its edit URL /forms/d/<id>/edit",
            )
        return self.form_ids[form_key]

    def _fail(self, form_key: str, what: str, exc: HttpError) -> Exception:
        reason, message = error_details(exc.resp.status, exc.content)
        if exc.resp.status in (403, 404):
            return ConfigError(
                "google.toml",
                f"google.forms.{form_key}",
                f"{what} of form {form_key!r} ({self.form_ids[form_key]}) "
                f"failed: HTTP {exc.resp.status} {message}",
                "check the form id, and share the form with the service account "
                "(or set delegated_subject to a user who can open it)",
            )
        return GoogleApiError(
            f"{what} of form {form_key!r}", exc.resp.status, reason, message
        )

    def get_form(self, form_key: str) -> dict[str, Any]:
        """``forms.get``: the form's items and settings."""
        form_id = self._form_id(form_key)
        try:
            return self.service.forms().get(formId=form_id).execute()
        except HttpError as exc:
            raise self._fail(form_key, "forms.get", exc) from exc

    def list_responses(
        self, form_key: str, since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every ``forms.responses.list`` page, in order.

        With ``since``, only responses submitted at or after it (the filter
        ``timestamp >= <since as UTC Z>``); without, every response.
        """
        form_id = self._form_id(form_key)
        params: dict[str, Any] = {"formId": form_id, "pageSize": self.page_size}
        if since:
            params["filter"] = f"timestamp >= {zulu(since)}"
        responses = self.service.forms().responses()
        request = responses.list(**params)
        seen_tokens: set[str] = set()
        while request is not None:
            try:
                page = request.execute()
            except HttpError as exc:
                raise self._fail(form_key, "forms.responses.list", exc) from exc
            yield page
            token = page.get("nextPageToken")
            if token in seen_tokens:
                raise GoogleApiError(
                    f"forms.responses.list of form {form_key!r}",
                    200,
                    "",
                    f"nextPageToken {token!r} repeats; stopped instead of looping",
                )
            seen_tokens.add(token)
            request = responses.list_next(request, page)
