"""The staff view on the sample cohort: the roster, the queue, and settling items."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook

from conftest import EXPECTED, KIT, SAMPLE_NOW
from pmc_sync.staff_view import (
    QUEUE_COLUMNS,
    QUEUE_FILE,
    QUEUE_TAB,
    ROSTER_FILE,
    ROSTER_TAB,
    STAFF_DIR,
    WORKBOOK_FILE,
    build_queue,
    build_roster,
    write_staff_view,
)
from pmc_sync.sync import run_sync
from pmc_sync.workspace import STAFF_FILE

DMITRI = "dmitri.volkov@example.edu"
WEI = "wei.gao@example.edu"
HANA = "hana.sato@example.edu"
KENJI = "kenji.nakamura@example.edu"
IBRAHIM = "ibrahim.musa@example.edu"
BRUNO = "bruno.okafor@example.edu"
VISITOR = "visitor@example.org"


def _kit_responses(form: str) -> list[dict]:
    pages = sorted((KIT / "sample" / "responses" / form).glob("page-*.json"))
    return [r for p in pages for r in json.loads(p.read_text())["responses"]]


def _answers(response: dict) -> list[str]:
    return [
        a["value"]
        for answer in response.get("answers", {}).values()
        for a in answer.get("textAnswers", {}).get("answers", [])
    ]


def _pending_electives_in_kit() -> set[tuple[str, str]]:
    """(email, response id) of each elective log staff have not approved."""
    approved = set(
        json.loads((KIT / "sample" / "staff-decisions.json").read_text())[
            "elective_approvals"
        ]
    )
    return {
        (r["respondentEmail"].strip().lower(), r["responseId"])
        for r in _kit_responses("reflection")
        if "Elective workshop" in _answers(r) and r["responseId"] not in approved
    }


def _view(workspace, config):
    result = run_sync(workspace, config, SAMPLE_NOW)
    state = workspace.state(read_only=True)
    ledger = state.ledger()
    state.close()
    return result, ledger


@pytest.fixture
def synced(sample_workspace, config):
    result, ledger = _view(sample_workspace, config)
    return result, ledger, build_roster(result, ledger), build_queue(result, ledger)


def _items(queue, kind):
    return queue[queue["kind"] == kind]


def test_roster_matches_expected_json(synced):
    _, _, roster, _ = synced

    assert list(roster["participant"]) == sorted(EXPECTED["participants"])
    by_person = roster.set_index("participant")
    for email, want in EXPECTED["participants"].items():
        row = by_person.loc[email]
        for requirement, state in want["requirements"].items():
            cell = row[requirement]
            if state["done"]:
                assert cell == f"done {state['completed_on']}", (email, requirement)
            else:
                assert cell.startswith(("open", "locked")), (email, requirement)
            if not state["done"] and state.get("count"):
                assert cell == f"open: {state['count']} so far", (email, requirement)
        assert row["checklist"] == want["checklist"], email
        sent = [e.split(" ")[0] for e in row["emails_sent"].split("; ") if e]
        assert sorted(sent) == sorted(want["emails"]), email
        assert row["flags"] == "; ".join(want["flags"]), email


def test_roster_states_tier_status_and_next_step(synced):
    _, _, roster, _ = synced
    by_person = roster.set_index("participant")

    assert by_person.loc["esperanza.diaz@example.edu", "status"] == "Tier 2 complete"
    assert by_person.loc[DMITRI, "status"] == "Tier 2 in progress"
    assert by_person.loc[DMITRI, "next_step"] == "T2.training: 4 training sessions"
    assert by_person.loc["jonas.berg@example.edu", "status"] == "withdrawn"
    assert by_person.loc["jonas.berg@example.edu", "next_step"] == ""
    assert by_person.loc[HANA, "status"] == "registered"
    assert by_person.loc["avery.chen@example.edu", "T1.capstone"] == "locked"
    assert by_person.loc[IBRAHIM, "last_activity"] == "2026-10-19"
    assert by_person.loc[IBRAHIM, "emails_sent"] == "reminder #1 2026-11-30"


def test_queue_holds_the_pending_elective_of_dmitri(synced):
    _, _, _, queue = synced

    electives = _items(queue, "elective_pending")
    got = set(zip(electives["participant"], electives["response_id"]))
    assert got == _pending_electives_in_kit()
    assert {p for p, _ in got} == {DMITRI}


def test_queue_holds_the_unmatched_visitor(synced):
    result, _, _, queue = synced

    unmatched = _items(queue, "unmatched")
    assert len(unmatched) == 1
    row = unmatched.iloc[0]
    assert VISITOR in row["reason"] and row["participant"] == ""
    kit_ids = {
        r["responseId"]
        for r in _kit_responses("reflection")
        if r.get("respondentEmail", "").strip().lower() == VISITOR
    }
    assert {row["response_id"]} == kit_ids


def test_queue_holds_weis_two_flags_with_their_responses(synced):
    result, _, _, queue = synced

    flags = _items(queue, "flag")
    assert set(flags["participant"]) == {WEI}
    assert sorted(flags["reason"].str.extract(r"\((.*)\)$")[0]) == sorted(
        EXPECTED["participants"][WEI]["flags"]
    )
    assert set(flags["response_id"]) == set(result.recon.flags["response_id"])
    assert flags["response_id"].str.len().gt(0).all()


def test_queue_holds_hanas_unreachable_and_kenjis_layout(synced):
    _, _, _, queue = synced

    unreachable = _items(queue, "checklist_unreachable")
    assert list(unreachable["participant"]) == [HANA]
    assert "not a spreadsheet link" in unreachable.iloc[0]["reason"]
    layout = _items(queue, "checklist_layout")
    assert list(layout["participant"]) == [KENJI]
    assert "Key" in layout.iloc[0]["reason"]
    assert layout.iloc[0]["response_id"].startswith("ACYDBN")


def test_queue_holds_ibrahim_inactive_for_42_days(synced):
    _, _, _, queue = synced

    inactive = _items(queue, "inactive")
    assert list(inactive["participant"]) == [IBRAHIM]
    assert inactive.iloc[0]["since"] == "2026-10-19"
    assert inactive.iloc[0]["reason"].startswith("no activity for 42 days")


def test_queue_holds_exactly_these_items(synced):
    _, _, _, queue = synced

    assert list(queue.columns) == QUEUE_COLUMNS
    assert sorted(zip(queue["kind"], queue["participant"])) == sorted(
        [
            ("elective_pending", DMITRI),
            ("fundamentals_partial", BRUNO),
            ("unmatched", ""),
            ("flag", WEI),
            ("flag", WEI),
            ("checklist_unreachable", HANA),
            ("checklist_layout", KENJI),
            ("inactive", IBRAHIM),
        ]
    )
    assert queue["settle"].str.len().gt(0).all()


def test_inactive_is_known_before_the_reminder_is_sent(sample_workspace, config):
    result = run_sync(sample_workspace, config, SAMPLE_NOW, dry_run=True)
    empty_ledger = sample_workspace.state(read_only=True).ledger()

    queue = build_queue(result, empty_ledger)

    assert list(_items(queue, "inactive")["participant"]) == [IBRAHIM]


def _add_decision(workspace, tab: str, row: list[str]) -> None:
    """Edit the staff file as staff do: a new row under the header."""
    path = workspace.root / STAFF_FILE
    book = load_workbook(path)
    book[tab].append(row)
    book.save(path)


@pytest.mark.parametrize(
    ("tab", "row", "kind"),
    [
        ("Elective approvals", ["{elective}", "staff", ""], "elective_pending"),
        ("Dismissed unmatched", ["{unmatched}", "not ours"], "unmatched"),
        ("Aliases", [VISITOR, "farah.haddad@example.edu"], "unmatched"),
        ("Withdrawn", [IBRAHIM, "left"], "inactive"),
        ("Withdrawn", [HANA, "left"], "checklist_unreachable"),
        ("Withdrawn", [KENJI, "left"], "checklist_layout"),
        ("Withdrawn", [WEI, "left"], "flag"),
        (
            "Fundamentals substitutions",
            [BRUNO, "2026-11-20", "earlier OPA workshop"],
            "fundamentals_partial",
        ),
    ],
)
def test_staff_settle_an_item_and_the_next_run_drops_it(
    sample_workspace, config, tab, row, kind
):
    result, ledger = _view(sample_workspace, config)
    before = build_queue(result, ledger)
    ids = {
        "elective": _items(before, "elective_pending").iloc[0]["response_id"],
        "unmatched": _items(before, "unmatched").iloc[0]["response_id"],
    }
    assert len(_items(before, kind)) > 0

    _add_decision(sample_workspace, tab, [v.format(**ids) for v in row])
    result, ledger = _view(sample_workspace, config)
    after = build_queue(result, ledger)

    assert _items(after, kind).empty
    assert len(after) == len(before) - len(_items(before, kind))


def _csv(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_write_staff_view_saves_both_csvs_and_one_workbook(synced, tmp_path):
    result, ledger, roster, queue = synced

    write_staff_view(tmp_path, result, ledger)

    folder = tmp_path / STAFF_DIR
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [ROSTER_FILE, QUEUE_FILE, WORKBOOK_FILE]
    )
    roster_rows = _csv(folder / ROSTER_FILE)
    assert roster_rows[0] == list(roster.columns)
    assert [r[0] for r in roster_rows[1:]] == list(roster["participant"])
    queue_rows = _csv(folder / QUEUE_FILE)
    assert queue_rows[0] == QUEUE_COLUMNS
    assert [r[2] for r in queue_rows[1:]] == list(queue["response_id"])
    book = load_workbook(folder / WORKBOOK_FILE)
    assert book.sheetnames == [ROSTER_TAB, QUEUE_TAB]
    tab = [list(r) for r in book[QUEUE_TAB].iter_rows(values_only=True)]
    assert tab[0] == QUEUE_COLUMNS
    assert [r[0] for r in tab[1:]] == list(queue["kind"])


def test_a_name_that_looks_like_a_formula_stays_text(sample_workspace, config):
    page = sample_workspace.root / "responses" / "registration" / "page-001.json"
    data = json.loads(page.read_text())
    first = data["responses"][0]
    email = first["respondentEmail"].strip().lower()
    for answer in first["answers"].values():
        values = answer.get("textAnswers", {}).get("answers", [])
        if values and " " in values[0]["value"] and "@" not in values[0]["value"]:
            values[0]["value"] = '=HYPERLINK("http://example.invalid","x")'
            break
    page.write_text(json.dumps(data))
    result, ledger = _view(sample_workspace, config)

    write_staff_view(sample_workspace.root, result, ledger)

    folder = sample_workspace.root / STAFF_DIR
    roster_rows = {r[0]: r for r in _csv(folder / ROSTER_FILE)}
    assert roster_rows[email][1].startswith("'=HYPERLINK")
    book = load_workbook(folder / WORKBOOK_FILE)
    cells = {row[0].value: row[1] for row in book[ROSTER_TAB].iter_rows(min_row=2)}
    assert cells[email].data_type == "s"
    assert cells[email].value.startswith("=HYPERLINK")


def test_rewriting_replaces_the_files_whole(synced, tmp_path):
    result, ledger, _, _ = synced
    write_staff_view(tmp_path, result, ledger)
    first = (tmp_path / STAFF_DIR / QUEUE_FILE).read_bytes()

    write_staff_view(tmp_path, result, ledger)

    assert (tmp_path / STAFF_DIR / QUEUE_FILE).read_bytes() == first
    assert not [p for p in (tmp_path / STAFF_DIR).iterdir() if p.name.startswith(".")]


def test_an_acknowledged_flag_leaves_the_queue_and_stays_a_flag(
    sample_workspace, config
):
    result, ledger = _view(sample_workspace, config)
    flags = _items(build_queue(result, ledger), "flag")
    assert len(flags) == 2

    _add_decision(
        sample_workspace,
        "Acknowledged flags",
        [WEI, "t2_before_t1_complete:t2_pre", "talked to Wei"],
    )
    result, ledger = _view(sample_workspace, config)

    left = _items(build_queue(result, ledger), "flag")
    assert len(left) == 1 and "Mentoring compact" in left.iloc[0]["reason"]
    assert len(result.recon.flags) == 2  # still raised, only acknowledged
