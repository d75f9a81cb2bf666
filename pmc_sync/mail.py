"""Emails: rendered from the Jinja2 templates in ``templates/``, built as MIME.

Each event has ``templates/<event>.txt`` and ``templates/<event>.html``; the
subject comes from ``config/steps.toml``. Templates run sandboxed with
``StrictUndefined``: a typo in a staff-edited template fails the render
instead of sending a blank. The HTML part is autoescaped, the text part is
not (so nothing is escaped twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from pmc_sync.config import Config

# Bidirectional-text controls: kept out of headers so a name cannot reorder them.
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def header_safe(text: str) -> str:
    """One line of printable text: no line breaks, controls or bidi marks."""
    text = BIDI_MARKS.sub("", text or "")
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(text.split())


def message_id(participant: str, event: str, seq: int, domain: str) -> str:
    """A Message-ID that is the same every time for (participant, event, seq)."""
    digest = hashlib.sha256(f"{participant}\n{event}\n{seq}".encode()).hexdigest()
    return f"<{digest[:40]}@{domain}>"


@dataclass(frozen=True)
class OutgoingEmail:
    participant: str
    event: str
    seq: int
    message_id: str
    message: EmailMessage


class Renderer:
    """Renders each event's subject, text and HTML parts."""

    def __init__(self, config: Config) -> None:
        self.config = config
        loader = FileSystemLoader(str(Path(config.templates_dir)))
        self.html_env = SandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"], default=True),
        )
        self.text_env = SandboxedEnvironment(
            loader=loader, undefined=StrictUndefined, autoescape=False
        )

    def render(self, event: str, context: dict[str, Any]) -> tuple[str, str, str]:
        """(subject, text, html) for one event."""
        subject = self.text_env.from_string(self.config.emails[event].subject)
        text = self.text_env.get_template(f"{event}.txt").render(context)
        html = self.html_env.get_template(f"{event}.html").render(context)
        return header_safe(subject.render(context)), text, html

    def build(
        self,
        participant: str,
        display_name: str,
        event: str,
        seq: int,
        context: dict[str, Any],
        now: dt.datetime,
    ) -> OutgoingEmail:
        mail = self.config.mail
        subject, text, html = self.render(event, context)
        mid = message_id(participant, event, seq, mail["message_id_domain"])
        message = EmailMessage()
        # Address objects, not formatted text: the display name is quoted and
        # encoded as one unit, so a comma or "Bcc:" in a name stays a name.
        message["From"] = Address(
            header_safe(mail["from_name"]), addr_spec=mail["from_address"]
        )
        message["To"] = Address(header_safe(display_name), addr_spec=participant)
        message["Reply-To"] = mail["reply_to"]
        message["Subject"] = subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = mid
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return OutgoingEmail(participant, event, seq, mid, message)
