"""Gmail: the raw message, the daily sending limit, and delivery look-ups."""

from __future__ import annotations

import base64
import json
import os
from email import message_from_bytes, policy

import pytest

from conftest import KIT, SAMPLE_NOW
from gfake import MAILBOX, google_error, kit_ports, served
from pmc_sync import faults
from pmc_sync.faults import InjectedFault
from pmc_sync.google.errors import SendingPaused
from pmc_sync.mail import Renderer
from pmc_sync.sync import run_sync

DAILY_LIMIT = google_error(
    429,
    "User-rate limit exceeded.  Retry after 2026-12-01T18:00:00.000Z (Mail sending)",
    "rateLimitExceeded",
    "RESOURCE_EXHAUSTED",
)


def _message(config, name: str = "Zoë O'Brien"):
    renderer = Renderer(config)
    context = {
        "name": name,
        "program": config.program_name,
        "step": {"text": "Take the pre-assessment", "url": "https://example.edu/f"},
        "checklist_url": "https://docs.google.com/spreadsheets/d/x/edit",
        "service_account": config.links["service_account"],
        "links": {key: "https://example.edu/form" for key in config.forms},
    }
    return renderer.build(
        "zoe@example.edu", name, "welcome", 1, context, SAMPLE_NOW
    ).message


def test_deliver_sends_the_message_as_raw_base64url(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    message = _message(config)
    with served(fake) as mock:
        ports.mail.deliver(message)
        (call,) = [c for c in mock.calls if "/messages/send" in c.request.url]

    raw = json.loads(call.request.body)["raw"]
    assert "=" not in raw.rstrip("=") and "+" not in raw and "/" not in raw
    sent = message_from_bytes(
        base64.urlsafe_b64decode(raw + "=="), policy=policy.default
    )
    assert sent["Message-ID"] == message["Message-ID"]
    assert [(a.display_name, a.addr_spec) for a in sent["To"].addresses] == [
        ("Zoë O'Brien", "zoe@example.edu")
    ]
    assert "userId" not in call.request.url and "/users/me/" in call.request.url


@pytest.mark.parametrize(
    "name",
    ["Zoë x, evil@attacker.example, y", "Zoë <evil@attacker.example>, y"],
)
def test_a_name_that_would_change_the_recipients_is_never_sent(tmp_path, config, name):
    from email.utils import formataddr

    from pmc_sync.google.errors import UnsafeMessage

    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    message = _message(config)
    # Built the careless way (formatted text, not an Address): the defence
    # in the adapter must catch what the message builder no longer does.
    del message["To"]
    message["To"] = formataddr((name, "zoe@example.edu"))
    with served(fake), pytest.raises(UnsafeMessage, match="evil@attacker.example"):
        ports.mail.deliver(message)

    assert fake.count("gmail.send") == 0


@pytest.mark.parametrize(
    "name",
    ["Zoë x, evil@attacker.example, y", "Zoë O'Brien\r\nBcc: evil@attacker.example"],
)
def test_the_message_builder_quotes_a_non_ascii_name(config, name):
    message = _message(config, name)
    data = message.as_bytes(policy=policy.SMTP)
    again = message_from_bytes(data, policy=policy.default)

    assert [a.addr_spec for a in again["To"].addresses] == ["zoe@example.edu"]


def test_was_delivered_asks_gmail_by_message_id(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    message = _message(config)
    with served(fake):
        before = ports.mail.was_delivered(str(message["Message-ID"]))
        ports.mail.deliver(message)
        after = ports.mail.was_delivered(str(message["Message-ID"]))

    assert (before, after) == (False, True)
    query = [c.url for c in fake.calls if c.action == "gmail.list"][0]
    assert "rfc822msgid%3A" in query and "%3C" not in query


def test_daily_limit_stops_sending_without_further_requests(tmp_path, config):
    fake, ports, waits = kit_ports(tmp_path, config, KIT)
    fake.fail("gmail.send", 429, DAILY_LIMIT)
    with served(fake):
        with pytest.raises(SendingPaused) as first:
            ports.mail.deliver(_message(config, "A"))
        with pytest.raises(SendingPaused) as second:
            ports.mail.deliver(_message(config, "B"))

    assert fake.count("gmail.send") == 1
    assert waits == []
    assert isinstance(first.value, OSError)
    assert "2 email(s) held back" in str(second.value)
    assert MAILBOX in str(second.value)


def test_a_run_that_hits_the_daily_limit_reports_what_waits(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    fake.fail("gmail.send", 429, DAILY_LIMIT)
    with served(fake):
        result = run_sync(ports, config, SAMPLE_NOW)

    assert result.emails_sent == []
    assert fake.count("gmail.send") == 1
    held = [p for p in result.problems if "daily sending limit" in p["problem"]]
    assert len(held) == 1  # one problem for the run, not one per participant
    waiting = len(result.emails_due)
    assert result.held == f"sending paused; {waiting} email(s) wait for a later run"
    assert result.exit_code == 1 and not result.failed_participants
    with served(fake):
        state = ports.open_state(True)
    assert state.ledger().empty


def test_a_send_that_died_after_delivery_is_not_sent_again(
    tmp_path, config, monkeypatch
):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    monkeypatch.setenv(faults.FAULTS_ENV, "after_deliver@2=raise")
    faults.reset()
    with served(fake), pytest.raises(InjectedFault):
        run_sync(ports, config, SAMPLE_NOW)
    monkeypatch.delenv(faults.FAULTS_ENV)
    assert len(fake.sent) == 2
    fake.calls.clear()

    with served(fake):
        again = run_sync(ports, config, SAMPLE_NOW)

    sent_ids = [str(m["Message-ID"]) for m in fake.sent]
    assert len(sent_ids) == len(set(sent_ids))
    assert fake.count("gmail.list") >= 1
    assert len(again.emails_sent) + 2 == len(fake.sent)
    assert os.environ.get(faults.FAULTS_ENV) is None


def test_a_5xx_on_send_that_did_deliver_counts_as_sent(tmp_path, config):
    fake, ports, waits = kit_ports(tmp_path, config, KIT)
    message = _message(config)
    with served(fake):
        ports.mail.deliver(message)  # Gmail took it, then answered 500:
        fake.fail("gmail.send", 500, google_error(500, "Backend Error", "backendError"))
        ports.mail.deliver(message)

    assert fake.count("gmail.send") == 2
    assert fake.count("gmail.list") == 1
    assert waits == []


def test_a_send_that_times_out_stays_claimed_and_is_not_sent_twice(tmp_path, config):
    import requests

    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    serve = fake.handle

    def time_out_sends(request):
        if "/messages/send" in request.url:
            raise requests.exceptions.ReadTimeout("read timed out")
        return serve(request)

    fake.handle = time_out_sends
    with served(fake):
        first = run_sync(ports, config, SAMPLE_NOW)

    assert first.emails_sent == [] and first.failed_participants
    with served(fake):
        state = ports.open_state(True)
    assert set(state.ledger()["state"]) == {"sending"}  # kept: Gmail may have it
