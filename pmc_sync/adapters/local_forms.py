"""Forms, read from the local workspace: the same JSON the Forms API returns.

Layout: ``forms/<form key>.json`` (``forms.get``) and
``responses/<form key>/page-NNN.json`` (``forms.responses.list`` pages). The
pages are followed by ``nextPageToken`` from ``page-001.json``, as the API
is, so a missing or looping page is found rather than skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pmc_sync.errors import WorkspaceError
from pmc_sync.forms import timestamp_key

log = logging.getLogger(__name__)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise WorkspaceError(f"{path}: not found") from exc
    except json.JSONDecodeError as exc:
        raise WorkspaceError(f"{path}: not valid JSON ({exc})") from exc


class LocalForms:
    """A folder standing in for the Forms API."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get_form(self, form_key: str) -> dict[str, Any]:
        return _read_json(self.root / "forms" / f"{form_key}.json")

    def list_responses(
        self, form_key: str, since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The pages in order; with ``since``, only responses whose
        ``lastSubmittedTime`` is at or after it (the API's
        ``timestamp >= since`` filter)."""
        for page in self._pages(form_key):
            if since is None:
                yield page
                continue
            kept = [
                r
                for r in page.get("responses", [])
                if timestamp_key(r.get("lastSubmittedTime")) >= timestamp_key(since)
            ]
            yield {**page, "responses": kept}

    def _pages(self, form_key: str) -> Iterator[dict[str, Any]]:
        """Each page in turn (one in memory at a time), in page-number order,
        for as long as the previous page names a next one."""
        folder = self.root / "responses" / form_key
        paths = sorted(folder.glob("page-*.json"), key=_page_number)
        token, seen = None, set()
        for number, path in enumerate(paths):
            if number and not token:
                log.warning(
                    "%s: %d page(s) after the last nextPageToken were not read",
                    folder,
                    len(paths) - number,
                )
                return
            page = _read_json(path)
            yield page
            token = page.get("nextPageToken")
            if token in seen:
                raise WorkspaceError(f"{path}: nextPageToken {token!r} repeats")
            seen.add(token)
        if token:
            raise WorkspaceError(
                f"{folder}: nextPageToken {token!r} points past the last page"
            )


def _page_number(path: Path) -> tuple[int, str]:
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return (int(digits) if digits else 0, path.name)
