"""Drive: a registrant without a usable link gets a copy of the master."""

from __future__ import annotations

import pytest

from conftest import KIT
from gfake import MASTER_ID, kit_fake, make_settings, served
from pmc_sync.errors import ConfigError
from pmc_sync.google import google_drive


def test_provision_copies_the_master_and_shares_it_as_writer(tmp_path):
    fake, form_ids = kit_fake(KIT)
    drive = google_drive(make_settings(tmp_path, form_ids), sleep=lambda s: None)
    with served(fake):
        sheet_id = drive.provision_checklist(
            "new.person@example.edu", "PMC checklist: New Person"
        )

    assert fake.spreadsheets[sheet_id] == fake.spreadsheets[MASTER_ID]
    ((shared, grant),) = fake.permissions
    assert shared == sheet_id
    assert grant["role"] == "writer" and grant["type"] == "user"
    assert grant["emailAddress"] == "new.person@example.edu"
    assert grant["sendNotificationEmail"] == "false"
    assert [c.action for c in fake.calls if c.action != "token"] == [
        "drive.copy",
        "drive.permissions.create",
    ]


def test_a_master_that_cannot_be_read_is_a_configuration_error(tmp_path):
    fake, form_ids = kit_fake(KIT)
    del fake.spreadsheets[MASTER_ID]
    drive = google_drive(make_settings(tmp_path, form_ids), sleep=lambda s: None)
    with served(fake), pytest.raises(ConfigError, match="master_checklist_id"):
        drive.provision_checklist("new.person@example.edu", "x")
