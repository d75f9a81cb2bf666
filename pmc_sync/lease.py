"""One run at a time: a lease with an owner and an expiry.

A run takes the lease before it reads anything and gives it back when it
ends. A second run that finds the lease held exits (status 3) or waits, by
option. A run that dies without giving it back does not block the next one
for ever: its lease lapses at its expiry, or at once when the owner was a
process on this machine that no longer exists.

Locally the lease is ``lease.json`` in the workspace; every read-modify-write
of it happens under a short file lock (``lease.json.lock``), so two runs
starting at the same instant cannot both take it::

    with hold(LocalLease(workspace_root), wait=0):
        run_sync(...)

On Google the lease is a row of the control spreadsheet
(``pmc_sync.google.lease_sheet.SheetLease``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from pmc_sync.errors import PmcSyncError

log = logging.getLogger(__name__)

LEASE_FILE = "lease.json"
# Long enough for the longest run (a full re-read of a large cohort); a run
# that dies on another machine blocks the next one for at most this long.
DEFAULT_TTL_SECONDS = 2 * 60 * 60
POLL_SECONDS = 1.0


class LeaseHeld(PmcSyncError):
    """Another run holds the lease; this run did nothing."""

    def __init__(self, holder: LeaseInfo, where: str) -> None:
        self.holder = holder
        super().__init__(
            f"{where}: another run holds the lease ({holder.owner}, job "
            f"{holder.job or '?'}, until {holder.expires_at:%Y-%m-%d %H:%M:%S} "
            "UTC); nothing done. Wait for it (--wait SECONDS) or, if that run "
            f"is surely dead, delete {where}"
        )


@dataclass(frozen=True)
class LeaseInfo:
    owner: str  # "host:pid"
    job: str
    expires_at: dt.datetime


class Lease(Protocol):
    def try_take(self, owner: str, job: str) -> LeaseInfo | None:
        """Take the lease; None when taken, else who holds it."""

    def release(self, owner: str) -> None:
        """Give the lease back if ``owner`` still holds it."""

    @property
    def where(self) -> str:
        """Where the lease lives, for messages."""


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_gone(owner: str) -> bool:
    """Whether ``owner`` was a process on this machine that has ended."""
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # a previous process with our pid: not us, we are taking it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def still_held(current: LeaseInfo | None, now: dt.datetime, where: str) -> bool:
    """Whether ``current`` still holds: not expired, its owner not known gone."""
    if current is None or current.expires_at <= now:
        return False
    if _owner_is_gone(current.owner):
        log.warning(
            "%s: the run %s that held the lease has ended; taken over",
            where,
            current.owner,
        )
        return False
    return True


class LocalLease:
    """The lease of a local workspace: ``<root>/lease.json``."""

    def __init__(
        self,
        root: Path,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.path = Path(root) / LEASE_FILE
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.clock = clock
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)

    @property
    def where(self) -> str:
        return str(self.path)

    def _read(self) -> LeaseInfo | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return LeaseInfo(
                data["owner"],
                data.get("job", ""),
                dt.datetime.fromisoformat(data["expires_at"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            log.warning("%s: unreadable lease; taken over", self.path)
            return None

    def try_take(self, owner: str, job: str) -> LeaseInfo | None:
        try:
            with self._lock:
                current = self._read()
                now = self.clock()
                if still_held(current, now, self.where):
                    return current
                mine = LeaseInfo(owner, job, now + self.ttl)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(
                    json.dumps(
                        {
                            "owner": mine.owner,
                            "job": mine.job,
                            "expires_at": mine.expires_at.isoformat(),
                        }
                    )
                    + "\n",
                    encoding="utf-8",
                )
                os.replace(tmp, self.path)
                return None
        except Timeout as exc:
            raise PmcSyncError(
                f"{self._lock.lock_file}: locked for over 30 s; is the workspace "
                "on a disk that supports file locks?"
            ) from exc

    def release(self, owner: str) -> None:
        with self._lock:
            current = self._read()
            if current and current.owner == owner:
                self.path.unlink(missing_ok=True)


@contextmanager
def hold(
    lease: Lease,
    job: str = "",
    wait: float = 0,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold ``lease`` for the ``with`` block; wait up to ``wait`` seconds for it.

    Raises:
        LeaseHeld: another run still holds it after ``wait`` seconds.
    """
    owner = this_owner()
    deadline = monotonic() + wait
    while True:
        holder = lease.try_take(owner, job)
        if holder is None:
            break
        if monotonic() >= deadline:
            raise LeaseHeld(holder, lease.where)
        log.info("lease held by %s; waiting", holder.owner)
        sleep(min(POLL_SECONDS, max(deadline - monotonic(), 0)))
    try:
        yield
    finally:
        lease.release(owner)
