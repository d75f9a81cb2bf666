"""Mail delivered to a folder: one RFC 5322 ``.eml`` file per message.

``outbox/`` stands in for Gmail. Each delivery also appends a line to
``outbox/deliveries.log`` (time, Message-ID, file), the way a mail server
logs what it accepted, so tests and staff can see how often something was
handed over, not only what the folder holds now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from email import policy
from email.message import EmailMessage
from pathlib import Path

from pmc_sync import faults
from pmc_sync.errors import DeliveryUncertain

DELIVERY_LOG = "deliveries.log"


class LocalOutbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, message: EmailMessage) -> Path:
        mid = str(message["Message-ID"])
        digest = hashlib.sha256(mid.encode()).hexdigest()[:12]
        recipient = str(message["To"].addresses[0].addr_spec)
        return self.folder / f"{recipient}--{digest}.eml"

    def deliver(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        faults.checkpoint("before_deliver")
        path = self._path(message)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes(policy=policy.SMTP))
        os.replace(tmp, path)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            with (self.folder / DELIVERY_LOG).open("a", encoding="utf-8") as log:
                log.write(f"{stamp}\t{message['Message-ID']}\t{path.name}\n")
        except OSError as exc:  # the message is out; only the log line is not
            raise DeliveryUncertain(
                f"{path.name}: delivered, not logged ({exc})"
            ) from exc

    def was_delivered(self, message_id: str) -> bool:
        """Whether the log, or the outbox itself, holds this Message-ID."""
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
        if any(self.folder.glob(f"*--{digest}.eml")):
            return True
        log = self.folder / DELIVERY_LOG
        if not log.is_file():
            return False
        with log.open(encoding="utf-8") as fh:
            return any(line.split("\t")[1] == message_id for line in fh if "\t" in line)
