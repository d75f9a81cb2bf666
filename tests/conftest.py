"""Shared fixtures: the program kit, the config, fresh workspaces."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pmc_sync.config import load_config
from pmc_sync.workspace import Workspace, init_workspace

KIT = Path(__file__).resolve().parents[2] / "shared" / "program-kit"
EXPECTED = json.loads((KIT / "sample" / "expected.json").read_text())
SAMPLE_NOW = dt.datetime.fromisoformat(EXPECTED["now"].replace("Z", "+00:00"))


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture
def sample_workspace(tmp_path, config) -> Workspace:
    """A fresh workspace built from the kit's sample cohort."""
    return init_workspace(tmp_path / "ws", KIT / "forms", KIT / "sample", config)
