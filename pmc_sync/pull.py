"""Step 1 of a run: read every form and its responses through a source.

A source is anything with ``get_form(key)`` and
``list_responses(key, since=None)`` (the pages of ``forms.responses.list``,
in order, optionally only those submitted at or after ``since``). The local
workspace and the Google Forms API both provide one.

With a response cache (the run state), a run reads incrementally: only what
was submitted at or after the newest submission already held, merged by
response id so that an edited response replaces its earlier version. A full
read (no cursor) replaces the cache, so a response deleted in the form stops
counting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from pmc_sync.config import Config
from pmc_sync.forms import (
    QuestionMap,
    build_question_map,
    responses_frame,
    timestamp_key,
)
from pmc_sync.ports import FormSource

log = logging.getLogger(__name__)


class ResponseCache(Protocol):
    def cursor(self, form_key: str) -> str | None:
        """The newest ``lastSubmittedTime`` held for a form."""

    def merge(
        self, form_key: str, fresh: list[dict[str, Any]], full: bool
    ) -> list[dict[str, Any]]:
        """Store what was read; return every response now held for the form."""


@dataclass
class Pulled:
    question_maps: dict[str, QuestionMap]
    responses: pd.DataFrame
    pages_read: int
    responses_fetched: int
    notes: list[str]


def _responses(pages: Iterable[dict[str, Any]], counter: list[int]) -> Iterator[dict]:
    for page in pages:
        counter[0] += 1
        yield from page.get("responses", [])


def latest_versions(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One response per id: the one submitted last (the same one read twice
    on two pages, or before and after an edit, collapses to one)."""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for response in responses:
        rid = response.get("responseId", "")
        stamp = submitted_key(response)
        if rid not in latest or stamp >= latest[rid][0]:
            latest[rid] = (stamp, response)
    return [response for _, response in latest.values()]


def submitted_key(response: dict[str, Any]) -> str:
    """When a response was last submitted, as sortable UTC text."""
    return timestamp_key(
        response.get("lastSubmittedTime") or response.get("createTime")
    )


def pull(
    source: FormSource,
    config: Config,
    cache: ResponseCache | None = None,
    full: bool = False,
) -> Pulled:
    """Read every configured form; map its answers to named fields.

    Raises:
        FormMappingError: a configured question is missing from a form. This
            is checked for every form before any response is read.
    """
    forms = {key: source.get_form(key) for key in config.forms}
    qmaps = {key: build_question_map(config.forms[key], forms[key]) for key in forms}
    notes = [
        f"form {key!r}: question {title!r} is not in config/forms.toml; ignored"
        for key, qmap in qmaps.items()
        for title in qmap.unknown_titles
    ]
    frames = []
    pages = [0]
    fetched = 0
    for key, qmap in qmaps.items():
        since = None if full or cache is None else cache.cursor(key)
        listed = source.list_responses(key, since=since)
        fresh = latest_versions(list(_responses(listed, pages)))
        fetched += len(fresh)
        held = cache.merge(key, fresh, full=since is None) if cache else fresh
        frames.append(responses_frame(qmap, [{"responses": held}]))
        log.info(
            "form %s: %d responses read (%s), %d held",
            key,
            len(fresh),
            f"since {since}" if since else "full read",
            len(held),
        )
    responses = pd.concat(frames, ignore_index=True)
    return Pulled(
        question_maps=qmaps,
        responses=responses,
        pages_read=pages[0],
        responses_fetched=fetched,
        notes=notes,
    )
