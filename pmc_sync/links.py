"""Spreadsheet ids out of whatever link a participant typed."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

_ID = r"[A-Za-z0-9_-]{25,}"
_BARE_ID = re.compile(rf"^{_ID}$")
_SHEET_PATH = re.compile(rf"/spreadsheets/(?:u/\d+/)?d/({_ID})(?:/|$)")


def sheet_id_from_link(link: object) -> str | None:
    """The spreadsheet id in a Sheets link, ``open?id=`` link or bare id.

    Anything else (blank, free text, a link to a form or a document) gives
    None: that checklist is unreachable.

    >>> sheet_id_from_link("https://docs.google.com/spreadsheets/d/1AbcdefghijklmnopqrstuvwxyZ/edit#gid=0")
    '1AbcdefghijklmnopqrstuvwxyZ'
    """
    if not isinstance(link, str):
        return None
    text = link.strip()
    if _BARE_ID.match(text):
        return text
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https"):
        return None
    host = parsed.hostname or ""
    if host not in ("docs.google.com", "drive.google.com"):
        return None
    match = _SHEET_PATH.search(parsed.path)
    if match:
        return match.group(1)
    if parsed.path.rstrip("/") == "/open":
        ids = parse_qs(parsed.query).get("id", [])
        if ids and _BARE_ID.match(ids[0]):
            return ids[0]
    return None


def sheet_url(sheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{sheet_id}/edit"
