"""Logging: one JSON object per line for machines, readable lines for people.

When stderr is not a terminal (cron, Cloud Run), each record is one JSON
object with the fields Cloud Logging reads: ``severity``, ``message``,
``time``, ``logger``, the run id and the job, plus ``participant`` and
``event`` when the call gives them::

    log.info("email %s sent to %s", event, person,
             extra={"participant": person, "event": event})

Only these fields are written: whatever else a record carries stays out,
so an email body, an assessment answer or a token can reach a log only
through its message text, which the modules never put there.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import IO

_RUN: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "pmc_sync_run", default=("", "")
)
# Fields a call may give through ``extra=``, written as they are.
EXTRA_FIELDS = ("participant", "event")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def bind_run(run_id: str, job: str) -> None:
    """Tag every later record of this process (or task) with the run and job."""
    _RUN.set((run_id, job))


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON, in Cloud Logging's structured shape."""

    def format(self, record: logging.LogRecord) -> str:
        run_id, job = _RUN.get()
        entry = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "logger": record.name,
            "run_id": run_id,
            "job": job,
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["message"] += "\n" + self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(verbose: bool = False, stream: IO[str] | None = None) -> None:
    """Log to ``stream`` (stderr): text on a terminal, JSON lines otherwise.

    Like ``logging.basicConfig``, it leaves a root logger that already has
    handlers alone (a program embedding pmc-sync, or pytest, logs its way).
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if not root.handlers:
        root.addHandler(handler_for(stream or sys.stderr))


def handler_for(stream: IO[str]) -> logging.Handler:
    """A handler writing text to a terminal, JSON lines to anything else."""
    handler = logging.StreamHandler(stream)
    is_terminal = getattr(stream, "isatty", lambda: False)()
    handler.setFormatter(
        logging.Formatter(TEXT_FORMAT) if is_terminal else JsonFormatter()
    )
    return handler
