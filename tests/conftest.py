"""Shared fixtures: the program kit, the config, fresh workspaces."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
from pathlib import Path

import pytest

from pmc_sync.config import load_config
from pmc_sync.workspace import DEMO_DATA, Workspace, init_workspace

# The program kit beside the checkout (as CI lays it out); without it, the
# copy vendored as the demo, which a test checks is the kit's own.
KIT_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "program-kit"
KIT = KIT_BESIDE if KIT_BESIDE.is_dir() else DEMO_DATA
EXPECTED = json.loads((KIT / "sample" / "expected.json").read_text())
SAMPLE_NOW = dt.datetime.fromisoformat(EXPECTED["now"].replace("Z", "+00:00"))


def assert_reaches_expected(result) -> None:
    """Every field of expected.json (but its notes), from a first run."""
    from pmc_sync.report import expected_view

    got = expected_view(result, emails=result.emails_sent)
    assert got["unmatched"] == EXPECTED["unmatched"]
    assert set(got["participants"]) == set(EXPECTED["participants"])
    for email, person in EXPECTED["participants"].items():
        want = {k: v for k, v in person.items() if k != "notes"}
        assert got["participants"][email] == want, email
    assert result.exit_code == 0


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No test reaches past this machine: a connection to any address but
    loopback fails at once, naming it (the Google tests mock HTTP above the
    socket, so they never get here)."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and sock.family in (socket.AF_INET, socket.AF_INET6):
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise OSError(f"test tried to reach {host}: only loopback is allowed")
        return real_connect(sock, address)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost") and not _is_loopback_literal(host):
            raise OSError(f"test tried to look up {host}: only loopback is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _is_loopback_literal(host) -> bool:
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture
def sample_workspace(tmp_path, config) -> Workspace:
    """A fresh workspace built from the kit's sample cohort."""
    return init_workspace(tmp_path / "ws", KIT / "forms", KIT / "sample", config)
