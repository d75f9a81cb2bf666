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


def test_provision_gives_hana_a_copy_that_the_next_sync_writes_and_links(
    tmp_path, config
):
    import base64
    import json
    from email import message_from_bytes, policy

    from conftest import SAMPLE_NOW
    from pmc_sync.google import google_ports, provision_checklists
    from pmc_sync.sync import run_sync

    fake, form_ids = kit_fake(KIT)
    settings = make_settings(tmp_path, form_ids)
    with served(fake):
        made = provision_checklists(settings, config, SAMPLE_NOW, sleep=lambda s: None)
    ((person, sheet_id),) = made
    assert person == "hana.sato@example.edu"  # her link was "my checklist"
    assert fake.spreadsheets[sheet_id] == fake.spreadsheets[MASTER_ID]

    with served(fake) as mock:
        ports = google_ports(settings, config, sleep=lambda s: None)
        result = run_sync(ports, config, SAMPLE_NOW)
        sends = [
            json.loads(c.request.body)["raw"]
            for c in mock.calls
            if "/messages/send" in c.request.url
        ]

    assert result.checklists[person].outcome == "written"
    assert [e for p, e, _ in result.emails_sent if p == person] == ["welcome"]
    messages = [
        message_from_bytes(base64.urlsafe_b64decode(raw + "=="), policy=policy.default)
        for raw in sends
    ]
    (welcome,) = [m for m in messages if "hana.sato" in str(m["To"])]
    assert sheet_id in welcome.get_body(("plain",)).get_content()
