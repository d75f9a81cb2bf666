"""Credentials: the token request, the delegated subject, and failures that
say what to fix."""

from __future__ import annotations

import pytest

from conftest import KIT, SAMPLE_NOW
from gfake import MAILBOX, google_error, kit_ports, served
from pmc_sync.google.auth import SCOPES, credentials_for, delegation_scopes
from pmc_sync.google.errors import GoogleApiError, GoogleAuthError
from pmc_sync.sync import run_sync


def test_gmail_acts_as_the_mailbox_and_files_as_the_service_account(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        ports.forms.get_form("registration")
        ports.mail.was_delivered("<nothing@example.edu>")

    files, mail = fake.token_claims
    assert "sub" not in files
    assert set(files["scope"].split()) >= set(SCOPES["forms"] + SCOPES["sheets"])
    assert mail["sub"] == MAILBOX
    assert set(mail["scope"].split()) == set(SCOPES["gmail"])
    assert delegation_scopes() == ",".join(SCOPES["gmail"])


def test_invalid_grant_says_to_check_the_clock_and_the_key(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    fake.fail(
        "token",
        400,
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
    )
    with served(fake), pytest.raises(GoogleAuthError) as caught:
        run_sync(ports, config, SAMPLE_NOW)

    message = str(caught.value)
    assert "invalid_grant" in message and "Invalid JWT Signature" in message
    assert "clock" in message and "key" in message
    assert fake.writes() == []


def test_unauthorized_client_names_the_scopes_to_allow(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    fake.fail(
        "token",
        401,
        {
            "error": "unauthorized_client",
            "error_description": "Client is unauthorized to retrieve access tokens "
            "using this method, or client not authorized for any of the scopes "
            "requested.",
        },
    )
    with served(fake), pytest.raises(GoogleAuthError) as caught:
        ports.mail.was_delivered("<x@example.edu>")

    message = str(caught.value)
    assert "Domain-wide delegation" in message
    assert "https://www.googleapis.com/auth/gmail.send" in message


def test_precondition_check_failed_asks_for_a_subject(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    fake.fail(
        "gmail.list",
        400,
        google_error(400, "Precondition check failed.", "failedPrecondition"),
    )
    with served(fake), pytest.raises(GoogleApiError) as caught:
        ports.mail.was_delivered("<x@example.edu>")

    assert "Precondition check failed" in str(caught.value)
    assert "set program_mailbox" in str(caught.value)


def test_delegation_denied_names_the_mailbox_and_the_from_address(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    fake.fail(
        "gmail.list",
        403,
        google_error(403, f"Delegation denied for {MAILBOX}", "forbidden"),
    )
    with served(fake), pytest.raises(GoogleApiError) as caught:
        ports.mail.was_delivered("<x@example.edu>")

    assert MAILBOX in str(caught.value)
    assert "from_address" in str(caught.value)


def test_unreadable_key_file_says_what_to_do(tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text("{}")
    bad.chmod(0o600)
    with pytest.raises(GoogleAuthError, match="service-account key"):
        credentials_for(["sheets"], str(bad), None)


def test_a_key_file_other_users_can_read_is_refused(tmp_path):
    from gfake import write_key_file

    key = write_key_file(tmp_path)
    key.chmod(0o644)

    with pytest.raises(GoogleAuthError, match=r"mode 644.*chmod 600"):
        credentials_for(["sheets"], str(key), None)

    key.chmod(0o600)
    assert credentials_for(["sheets"], str(key), None).service_account_email
