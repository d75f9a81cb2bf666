"""Configuration errors name the file, the key and the fix."""

from __future__ import annotations

import shutil

import pytest

from pmc_sync.config import REPO_ROOT, load_config
from pmc_sync.errors import ConfigError


@pytest.fixture
def config_dir(tmp_path):
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    return target


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_config_loads_with_the_programs_numbers():
    config = load_config()

    assert (config.mondays_required, config.reflections_required) == (4, 6)
    assert config.reminder_after_days == 42
    assert config.time_zone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("file", "old", "new", "key", "problem"),
    [
        (
            "program.toml",
            "mondays_required = 4",
            'mondays_required = "four"',
            "tier1.mondays_required",
            "whole number",
        ),
        (
            "program.toml",
            "after_days = 42",
            "after_days = -1",
            "reminders.after_days",
            "negative",
        ),
        (
            "program.toml",
            "America/Los_Angeles",
            "Mars/Olympus",
            "program.time_zone",
            "unknown time zone",
        ),
        (
            "program.toml",
            "mondays_required = 4\n",
            "",
            "tier1.mondays_required",
            "missing",
        ),
        (
            "forms.toml",
            'monday = "Mentoring Monday"\n',
            "",
            "activities.monday",
            "missing",
        ),
        (
            "forms.toml",
            'fields.date = "Date of the activity"\n',
            "",
            "forms.reflection.fields.date",
            "missing",
        ),
        (
            "steps.toml",
            'link = "form:t1_post"',
            'link = "form:nope"',
            'steps."T1.post".link',
            "unknown link",
        ),
        ("program.toml", "[tier1]", "[tier1", "(file)", "not valid TOML"),
        (
            "forms.toml",
            "\nconfidential = true",
            "\nconfidential = false",
            "forms.mentee_assessment.confidential",
            "must be true",
        ),
    ],
)
def test_a_bad_setting_names_its_key(config_dir, file, old, new, key, problem):
    _edit(config_dir / file, old, new)

    with pytest.raises(ConfigError) as error:
        load_config(config_dir)

    assert error.value.key == key
    assert problem in str(error.value)
    assert file in str(error.value)
