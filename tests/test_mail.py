"""Email rendering: templates, escaping, headers that cannot be injected."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from pmc_sync.config import EVENTS
from pmc_sync.mail import Renderer, header_safe, message_id

NOW = dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC)


def _context(name="Ana"):
    return {
        "name": name,
        "program": "Postdoc Mentoring Certificate",
        "step": {
            "text": "Do the next thing",
            "url": "https://example.edu/next?a=1&b=2",
        },
        "checklist_url": "https://docs.google.com/spreadsheets/d/x/edit",
        "service_account": "svc@example.iam.gserviceaccount.com",
        "links": {
            "reflection": "https://example.edu/log",
            "t2_portfolio": "https://example.edu/p",
        },
    }


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_renders_name_step_and_link(config, event):
    subject, text, html = Renderer(config).render(event, _context())

    assert subject
    for part in (text, html):
        assert "Ana" in part
        assert "Do the next thing" in part
    assert "https://example.edu/next?a=1&b=2" in text
    assert "https://example.edu/next?a=1&amp;b=2" in html


def test_html_escapes_once_and_text_not_at_all(config):
    _, text, html = Renderer(config).render("welcome", _context(name="<b>Ana & Bo</b>"))

    assert "&lt;b&gt;Ana &amp; Bo&lt;/b&gt;" in html
    assert "&amp;amp;" not in html
    assert "<b>Ana & Bo</b>" in text


def test_a_missing_variable_fails_instead_of_rendering_blank(config):
    context = _context()
    del context["step"]

    with pytest.raises(UndefinedError):
        Renderer(config).render("welcome", context)


def test_templates_cannot_reach_python_objects(config, tmp_path):
    (tmp_path / "welcome.txt").write_text(
        "{{ name.__class__.__mro__[1].__subclasses__() }}"
    )
    (tmp_path / "welcome.html").write_text("x")
    from dataclasses import replace

    renderer = Renderer(replace(config, templates_dir=tmp_path))

    with pytest.raises(SecurityError):
        renderer.render("welcome", _context())


def test_a_line_break_in_a_name_cannot_add_a_header(config):
    evil = "Ana\r\nBcc: victim@example.org\r\nSubject: hi"

    built = Renderer(config).build(
        "ana@example.edu", evil, "welcome", 1, _context(evil), NOW
    )

    raw = built.message.as_bytes(policy=policy.SMTP)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "ana@example.edu"
    assert len(parsed.get_all("Subject")) == 1


def test_non_ascii_names_are_encoded_and_read_back(config):
    built = Renderer(config).build(
        "e@example.edu", "Esperanza Díaz", "welcome", 1, _context(), NOW
    )

    raw = built.message.as_bytes(policy=policy.SMTP)
    assert b"D\xc3\xadaz" not in raw.split(b"\r\n\r\n")[0]  # headers are 7-bit
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "Esperanza Díaz"
    assert parsed.get_content_type() == "multipart/alternative"


def test_message_id_is_stable_per_participant_and_event():
    first = message_id("a@example.edu", "welcome", 1, "pmc.example.edu")

    assert first == message_id("a@example.edu", "welcome", 1, "pmc.example.edu")
    assert first != message_id("a@example.edu", "reminder", 1, "pmc.example.edu")
    assert first != message_id("a@example.edu", "welcome", 2, "pmc.example.edu")
    assert first.startswith("<") and first.endswith("@pmc.example.edu>")


def test_header_safe_strips_controls_and_bidi_marks():
    assert header_safe("Ana\u202e\u200f Lima\n\tX\x00") == "Ana Lima X"
