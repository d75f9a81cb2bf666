"""A fault injector for tests: fail or kill the process at a named point.

Set ``PMC_SYNC_FAULTS`` to a comma-separated list of ``point[@N]=action``:
the N-th time (default 1st) the run passes ``point`` it performs ``action``,
``raise`` (an ``InjectedFault``) or ``kill`` (the process exits at once, as
if the machine died, without cleanup). With the variable unset this module
does nothing.

Points: ``after_pull``, ``after_checklist_write``, ``before_deliver``,
``after_deliver``, ``checklist_write`` (between a sheet's cells and its
activity log), ``state`` (any state write) and ``state.claim`` (recording an
email as being sent).
"""

from __future__ import annotations

import os
from collections import Counter

FAULTS_ENV = "PMC_SYNC_FAULTS"
_passes: Counter[str] = Counter()


class InjectedFault(RuntimeError):
    """Raised where a test asked for a fault."""


def _plan() -> dict[str, tuple[int, str]]:
    plan = {}
    for item in filter(None, (os.environ.get(FAULTS_ENV) or "").split(",")):
        where, _, action = item.strip().partition("=")
        point, _, nth = where.partition("@")
        plan[point] = (int(nth or 1), action or "raise")
    return plan


def checkpoint(point: str) -> None:
    """Pass a named point; fail here if a test asked for it."""
    plan = _plan()
    if point not in plan:
        return
    _passes[point] += 1
    nth, action = plan[point]
    if _passes[point] != nth:
        return
    if action == "kill":
        os._exit(137)
    raise InjectedFault(f"fault injected at {point} (pass {nth})")


def reset() -> None:
    _passes.clear()
