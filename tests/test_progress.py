"""A progress bar on a terminal; nothing at all elsewhere."""

from __future__ import annotations

import io

from pmc_sync.progress import MIN_ITEMS, progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_every_item():
    stream = _Terminal()
    items = list(range(MIN_ITEMS))

    assert list(progress(items, "checklists", stream)) == items
    assert "checklists" in stream.getvalue()


def test_a_log_or_a_short_run_gets_nothing():
    log, terminal = io.StringIO(), _Terminal()

    assert list(progress(list(range(100)), "emails", log)) == list(range(100))
    assert list(progress([1, 2], "emails", terminal)) == [1, 2]
    assert log.getvalue() == terminal.getvalue() == ""
