"""Exit status 2 for a credentials error on Google: nothing requested, nothing done."""

from __future__ import annotations

import responses
from click.testing import CliRunner

from conftest import EXPECTED
from pmc_sync.cli import cli
from pmc_sync.config import REPO_ROOT


def test_a_missing_key_file_exits_2_before_any_request(tmp_path):
    settings = (REPO_ROOT / "config" / "google.toml").read_text()
    missing = tmp_path / "no-such-key.json"
    google_toml = tmp_path / "google.toml"
    google_toml.write_text(settings.replace('key_file = ""', f'key_file = "{missing}"'))

    # Every request of the block would fail here: none may leave.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        result = CliRunner().invoke(
            cli,
            ["sync", "--backend", "google", "--google-config", str(google_toml)]
            + ["--now", EXPECTED["now"]],
        )
        assert len(mock.calls) == 0

    assert result.exit_code == 2, result.output
    assert "no-such-key.json" in result.output
