"""Step 1 of a run: read every form and all its responses through a source.

A source is anything with ``get_form(key)`` and ``list_responses(key)``
(the pages of ``forms.responses.list``, in order). The local workspace and
the Google Forms API both provide one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pmc_sync.config import Config
from pmc_sync.forms import QuestionMap, build_question_map, responses_frame
from pmc_sync.ports import FormSource

log = logging.getLogger(__name__)


@dataclass
class Pulled:
    question_maps: dict[str, QuestionMap]
    responses: pd.DataFrame
    pages_read: int
    notes: list[str]


class _CountingPages:
    def __init__(self, pages: Iterable[dict[str, Any]]) -> None:
        self.pages = pages
        self.count = 0

    def __iter__(self):
        for page in self.pages:
            self.count += 1
            yield page


def pull(source: FormSource, config: Config) -> Pulled:
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
    pages = 0
    for key, qmap in qmaps.items():
        counter = _CountingPages(source.list_responses(key))
        frames.append(responses_frame(qmap, counter))
        pages += counter.count
        log.info(
            "form %s: %d responses on %d pages", key, len(frames[-1]), counter.count
        )
    responses = pd.concat(frames, ignore_index=True)
    return Pulled(
        question_maps=qmaps, responses=responses, pages_read=pages, notes=notes
    )
