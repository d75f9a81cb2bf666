"""A progress bar for long runs, on a terminal only.

Off a terminal (cron, Cloud Run, a pipe) the items pass through untouched,
so logs never hold a bar::

    for person in progress(targets, "checklists"):
        ...
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import IO, TypeVar

import click

T = TypeVar("T")
# Fewer items than this finish before a bar would help.
MIN_ITEMS = 20


def progress(
    items: Sequence[T], label: str, stream: IO[str] | None = None
) -> Iterator[T]:
    """Yield ``items``, drawing a bar on ``stream`` (stderr) when a terminal."""
    stream = stream or sys.stderr
    if len(items) < MIN_ITEMS or not getattr(stream, "isatty", lambda: False)():
        yield from items
        return
    with click.progressbar(items, label=label, file=stream) as bar:
        yield from bar
