"""Shared fixtures: the program kit, the config, fresh workspaces."""

from __future__ import annotations

import datetime as dt
import json
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


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture
def sample_workspace(tmp_path, config) -> Workspace:
    """A fresh workspace built from the kit's sample cohort."""
    return init_workspace(tmp_path / "ws", KIT / "forms", KIT / "sample", config)
