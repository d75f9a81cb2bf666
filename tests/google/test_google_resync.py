"""The control spreadsheet's "Resync" tab: honoured by the next run, then done."""

from __future__ import annotations

from conftest import KIT, SAMPLE_NOW
from gfake import CONTROL_ID, kit_ports, served
from pmc_sync.adapters.local_resync import RESYNC_HEADER
from pmc_sync.google.resync_sheet import SheetResyncRequests
from pmc_sync.runner import run_honouring

PERSON = "hana.sato@example.edu"


def test_a_resync_row_is_honoured_and_done_on_google(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    requests = SheetResyncRequests(ports.sheets.http, CONTROL_ID)
    with served(fake):
        run_honouring(requests, ports, config, SAMPLE_NOW)
        tab = fake.spreadsheets[CONTROL_ID]["Resync"]
        assert tab == [RESYNC_HEADER]
        plain = run_honouring(requests, ports, config, SAMPLE_NOW)
        tab.append([PERSON.upper(), "staff@example.edu", "2026-11-30"])
        tab.append(["", "", "", ""])
        tab.append(["done.before@example.edu", "x", "2026-11-01", "2026-11-02"])

        honoured = run_honouring(requests, ports, config, SAMPLE_NOW)
        after = run_honouring(requests, ports, config, SAMPLE_NOW)

    assert honoured.responses_read > plain.responses_read  # a full re-read
    assert tab[1][:3] == [PERSON.upper(), "staff@example.edu", "2026-11-30"]
    assert tab[1][3]  # "Done at"
    assert tab[3][3] == "2026-11-02"  # history, untouched
    assert after.responses_read == plain.responses_read
