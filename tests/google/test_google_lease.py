"""The cloud lease: a row of the control spreadsheet's "Lease" tab."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import KIT
from gfake import CONTROL_ID, kit_ports, served
from pmc_sync.google.lease_sheet import SheetLease
from pmc_sync.lease import LeaseHeld, hold, this_owner


def _lease(tmp_path, config, **kwargs):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    slept: list[float] = []
    lease = SheetLease(ports.sheets.http, CONTROL_ID, sleep=slept.append, **kwargs)
    return fake, lease, slept


def _row(owner, minutes):
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return [["Owner", "Job", "Expires at"], [owner, "sync", until.isoformat()]]


def test_a_run_holds_the_lease_row_and_clears_it(tmp_path, config):
    fake, lease, slept = _lease(tmp_path, config)

    with served(fake):
        with hold(lease, "nightly"):
            held = fake.spreadsheets[CONTROL_ID]["Lease"]
            assert held[1][:2] == [this_owner(), "nightly"]

    assert slept == [5.0]  # wrote, waited, read back
    assert fake.spreadsheets[CONTROL_ID]["Lease"][1] == ["", "", ""]


def test_a_lease_held_by_another_run_stops_this_one(tmp_path, config):
    fake, lease, _ = _lease(tmp_path, config)
    fake.spreadsheets[CONTROL_ID]["Lease"] = _row("run-elsewhere:1", 10)

    with served(fake), pytest.raises(LeaseHeld, match="run-elsewhere:1"):
        with hold(lease, "sync"):
            pass

    assert fake.spreadsheets[CONTROL_ID]["Lease"][1][0] == "run-elsewhere:1"


def test_an_expired_lease_is_taken_over(tmp_path, config):
    fake, lease, _ = _lease(tmp_path, config)
    fake.spreadsheets[CONTROL_ID]["Lease"] = _row("crashed-run:1", -1)

    with served(fake), hold(lease, "sync"):
        assert fake.spreadsheets[CONTROL_ID]["Lease"][1][0] == this_owner()


def test_of_two_runs_writing_at_once_only_the_later_goes_on(tmp_path, config):
    fake, lease, _ = _lease(tmp_path, config)

    def other_run_writes(_seconds):
        fake.spreadsheets[CONTROL_ID]["Lease"] = _row("other-run:7", 10)

    lease.sleep = other_run_writes
    with served(fake), pytest.raises(LeaseHeld, match="other-run:7"):
        with hold(lease, "sync"):
            pass


def test_the_cli_takes_the_lease_row_for_google_runs(tmp_path, config, monkeypatch):
    from pmc_sync import runner

    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    monkeypatch.setenv(runner.LEASE_SECONDS_ENV, "840")
    monkeypatch.setattr(
        "pmc_sync.google.load_google_settings",
        lambda _path: type("S", (), {"control_spreadsheet_id": CONTROL_ID})(),
    )

    lease = runner.lease_for("google", tmp_path, ports, None)

    assert isinstance(lease, SheetLease)
    assert (lease.spreadsheet_id, lease.ttl) == (CONTROL_ID, dt.timedelta(seconds=840))
