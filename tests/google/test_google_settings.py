"""config/google.toml loads, and a missing form id is a clear error."""

from __future__ import annotations

import pytest

from pmc_sync.config import FORM_KEYS, default_config_dir
from pmc_sync.errors import ConfigError
from pmc_sync.google.settings import load_google_settings


def test_the_shipped_google_toml_loads():
    settings = load_google_settings()
    assert set(settings.form_ids) == set(FORM_KEYS)
    assert settings.key_file is None
    assert settings.sheets_reads_per_minute == 60


def test_a_missing_form_id_names_the_setting(tmp_path):
    text = (default_config_dir() / "google.toml").read_text()
    path = tmp_path / "google.toml"
    path.write_text(text.replace('t2_post = "FORM_ID_T2_POST"\n', ""))
    with pytest.raises(ConfigError, match=r"google\.forms\.t2_post"):
        load_google_settings(path)


def test_a_negative_limit_is_refused(tmp_path):
    text = (default_config_dir() / "google.toml").read_text()
    path = tmp_path / "google.toml"
    path.write_text(text.replace("retry_attempts = 5", "retry_attempts = -1"))
    with pytest.raises(ConfigError, match="retry_attempts"):
        load_google_settings(path)
