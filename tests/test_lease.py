"""One run at a time: the lease, the exit statuses, two real processes at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from conftest import EXPECTED
from pmc_sync.cli import cli
from pmc_sync.lease import LEASE_FILE, LeaseHeld, LocalLease, hold

NOW = EXPECTED["now"]
ALL_EMAILS = sum(len(p["emails"]) for p in EXPECTED["participants"].values())


def _hold_elsewhere(root, minutes=30):
    """A lease held by a run on another machine, for ``minutes`` more."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    (root / LEASE_FILE).write_text(
        json.dumps(
            {"owner": "other-host:4242", "job": "sync", "expires_at": until.isoformat()}
        )
    )


def _start(workspace, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "pmc_sync", "sync", "-w", str(workspace.root)]
        + ["--now", NOW, *extra],
        env={**os.environ, "PMC_SYNC_FAULTS": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _deliveries(workspace):
    log = workspace.root / "outbox" / "deliveries.log"
    return Counter(line.split("\t")[1] for line in log.read_text().splitlines())


def test_a_lease_held_elsewhere_blocks_until_it_expires(tmp_path):
    lease = LocalLease(tmp_path)
    _hold_elsewhere(tmp_path)

    with pytest.raises(LeaseHeld, match="other-host:4242"):
        with hold(lease):
            pass

    _hold_elsewhere(tmp_path, minutes=-1)  # lapsed: the next run takes it
    with hold(lease):
        assert "other-host" not in (tmp_path / LEASE_FILE).read_text()
    assert not (tmp_path / LEASE_FILE).exists()


def test_a_lease_whose_process_ended_is_taken_over_at_once(tmp_path):
    import socket

    pid = subprocess.run(  # a process that has ended by the time we look
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    (tmp_path / LEASE_FILE).write_text(
        json.dumps(
            {
                "owner": f"{socket.gethostname()}:{pid}",
                "expires_at": until.isoformat(),
            }
        )
    )

    with hold(LocalLease(tmp_path)):
        pass


def test_waiting_gives_up_after_the_given_seconds(tmp_path):
    _hold_elsewhere(tmp_path)
    slept = []

    with pytest.raises(LeaseHeld):
        with hold(
            LocalLease(tmp_path),
            wait=3,
            sleep=slept.append,
            monotonic=lambda: sum(slept),
        ):
            pass

    assert slept == [1.0, 1.0, 1.0]


def test_each_exit_status_comes_from_its_own_case(sample_workspace, tmp_path):
    ws = str(sample_workspace.root)
    runner = CliRunner()

    _hold_elsewhere(sample_workspace.root)
    held = runner.invoke(cli, ["sync", "-w", ws, "--now", NOW])
    assert held.exit_code == 3, held.output
    assert "another run holds the lease" in held.output
    assert not list((sample_workspace.root / "outbox").glob("*.eml"))
    (sample_workspace.root / LEASE_FILE).unlink()

    bad_config = tmp_path / "no-config"
    bad_config.mkdir()
    broken = runner.invoke(cli, ["sync", "-w", ws, "--config", str(bad_config)])
    assert broken.exit_code == 2, broken.output

    failed = runner.invoke(
        cli, ["sync", "-w", ws, "--now", NOW, "--participant", "nobody@example.edu"]
    )
    assert failed.exit_code == 1, failed.output

    done = runner.invoke(cli, ["sync", "-w", ws, "--now", NOW])
    assert done.exit_code == 0, done.output
    assert not (sample_workspace.root / LEASE_FILE).exists()


def test_two_runs_at_once_send_each_email_once(sample_workspace):
    first, second = _start(sample_workspace), _start(sample_workspace)
    codes = sorted(p.wait(timeout=180) for p in (first, second))

    assert codes in ([0, 0], [0, 3]), [p.stderr.read() for p in (first, second)]
    deliveries = _deliveries(sample_workspace)
    assert len(deliveries) == ALL_EMAILS
    assert set(deliveries.values()) == {1}


def test_a_second_run_that_waits_runs_after_the_first(sample_workspace):
    first = _start(sample_workspace, "--wait", "120")
    second = _start(sample_workspace, "--wait", "120")

    assert [p.wait(timeout=240) for p in (first, second)] == [0, 0]
    deliveries = _deliveries(sample_workspace)
    assert len(deliveries) == ALL_EMAILS
    assert set(deliveries.values()) == {1}


def test_a_held_lease_makes_a_real_process_exit_3(sample_workspace):
    _hold_elsewhere(sample_workspace.root)

    blocked = _start(sample_workspace)

    assert blocked.wait(timeout=120) == 3
    assert "--wait SECONDS" in blocked.stderr.read()
    assert not (sample_workspace.root / "outbox" / "deliveries.log").exists()
