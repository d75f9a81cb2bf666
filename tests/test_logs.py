"""Structured logs: JSON lines off a terminal, text on one, nothing private."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

from conftest import EXPECTED
from pmc_sync.logs import JsonFormatter, bind_run, handler_for
from test_privacy import PRIVATE_TEXTS

PRIVATE = (*PRIVATE_TEXTS, "Bearer", "access_token")


def _record(**extra):
    record = logging.LogRecord(
        "pmc_sync.sync", logging.INFO, __file__, 1, "email %s sent", ("welcome",), None
    )
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_the_cloud_logging_fields_and_only_those():
    bind_run("abc123", "nightly")

    line = JsonFormatter().format(
        _record(participant="ana@example.edu", event="welcome", body="Dear Ana")
    )

    entry = json.loads(line)
    assert entry["severity"] == "INFO"
    assert entry["message"] == "email welcome sent"
    assert (entry["run_id"], entry["job"]) == ("abc123", "nightly")
    assert entry["logger"] == "pmc_sync.sync"
    assert (entry["participant"], entry["event"]) == ("ana@example.edu", "welcome")
    assert entry["time"].endswith("+00:00")
    assert "Dear Ana" not in line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_readable_text():
    stream = _Terminal()
    handler_for(stream).handle(_record())
    plain = io.StringIO()
    handler_for(plain).handle(_record())

    assert stream.getvalue() == "INFO pmc_sync.sync: email welcome sent\n"
    assert json.loads(plain.getvalue())["message"] == "email welcome sent"


def test_a_real_run_logs_json_lines_by_participant_and_event(sample_workspace):
    run = subprocess.run(
        [sys.executable, "-m", "pmc_sync", "-v", "sync"]
        + ["-w", str(sample_workspace.root), "--now", EXPECTED["now"]],
        env={**os.environ, "PMC_SYNC_FAULTS": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in run.stderr.splitlines()]
    assert entries
    assert {e["job"] for e in entries} == {"sync"}
    assert len({e["run_id"] for e in entries}) == 1
    sent = [e for e in entries if e.get("event") == "t1_complete"]
    assert sent[0]["participant"] == "chiara.rossi@example.edu"
    for text in PRIVATE:
        assert text not in run.stderr
