"""The command line: demo, init, sync (dry run, one participant, JSON), status."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import EXPECTED, KIT
from pmc_sync.cli import cli

NOW = EXPECTED["now"]


def _init(tmp_path):
    ws = tmp_path / "ws"
    result = CliRunner().invoke(
        cli,
        [
            "init",
            str(ws),
            "--forms",
            str(KIT / "forms"),
            "--cohort",
            str(KIT / "sample"),
        ],
    )
    assert result.exit_code == 0, result.output
    return ws


def test_demo_builds_a_workspace_and_says_where_things_are(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--into", str(tmp_path / "demo")])

    assert result.exit_code == 0, result.output
    assert "emails sent              11" in result.output
    assert f"outbox:     {tmp_path / 'demo' / 'outbox'}" in result.output
    assert len(list((tmp_path / "demo" / "outbox").glob("*.eml"))) == 11


def test_dry_run_writes_and_sends_nothing(tmp_path):
    ws = _init(tmp_path)
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}

    result = CliRunner().invoke(cli, ["sync", "-w", str(ws), "--now", NOW, "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "hana.sato@example.edu: welcome" in result.output
    assert "Would write:" in result.output
    after = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    assert after == before
    assert not list((ws / "outbox").glob("*.eml"))


def test_one_participant_only(tmp_path):
    ws = _init(tmp_path)

    result = CliRunner().invoke(
        cli,
        [
            "sync",
            "-w",
            str(ws),
            "--now",
            NOW,
            "--participant",
            " Hana.Sato@example.edu ",
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["emails_sent"] == 2
    assert [p.name.split("--")[0] for p in (ws / "outbox").glob("*.eml")] == [
        "hana.sato@example.edu"
    ] * 2


def test_unknown_participant_is_a_failure(tmp_path):
    ws = _init(tmp_path)

    result = CliRunner().invoke(
        cli,
        ["sync", "-w", str(ws), "--now", NOW, "--participant", "nobody@example.edu"],
    )

    assert result.exit_code == 1
    assert "nobody@example.edu: no registration for this address" in result.output


def test_status_prints_one_progress_table(tmp_path):
    ws = _init(tmp_path)

    result = CliRunner().invoke(
        cli, ["status", "farah.haddad@example.edu", "-w", str(ws), "--now", NOW]
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(
        "Farah Haddad <farah.haddad@example.edu>  registered 2026-10-20"
    )
    assert any(line.split() == ["T1.mondays", "no", "3"] for line in lines)
    assert any(line.split() == ["T1.pre", "yes", "2026-10-21"] for line in lines)


def test_status_json_matches_expected(tmp_path):
    ws = _init(tmp_path)

    result = CliRunner().invoke(
        cli,
        ["status", "dmitri.volkov@example.edu", "-w", str(ws), "--now", NOW, "--json"],
    )

    got = json.loads(result.output)
    want = EXPECTED["participants"]["dmitri.volkov@example.edu"]
    assert got["requirements"] == want["requirements"]


def test_sync_outside_a_workspace_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(cli, ["sync", "-w", str(tmp_path / "none")])

    assert result.exit_code == 2
    assert "pmc-sync init" in result.output


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help and len(command.help.split()) > 3, name


def test_a_cohort_with_no_responses_at_all_syncs_cleanly(tmp_path):
    empty = tmp_path / "empty-cohort"
    empty.mkdir()
    ws = tmp_path / "ws"
    init = CliRunner().invoke(
        cli, ["init", str(ws), "--forms", str(KIT / "forms"), "--cohort", str(empty)]
    )
    assert init.exit_code == 0, init.output

    result = CliRunner().invoke(cli, ["sync", "-w", str(ws), "--now", NOW, "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["participants"], summary["emails_sent"]) == (0, 0)


def test_demo_json_is_one_json_document_with_the_places(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--into", str(tmp_path / "d"), "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["emails_sent"] == 11
    assert summary["places"]["outbox"] == str(tmp_path / "d" / "outbox")


def test_demo_into_a_used_folder_is_a_clear_error(tmp_path):
    CliRunner().invoke(cli, ["demo", "--into", str(tmp_path / "d")])

    again = CliRunner().invoke(cli, ["demo", "--into", str(tmp_path / "d")])

    assert again.exit_code == 2
    assert "exists and is not empty" in again.output
    assert "Traceback" not in again.output


def test_init_into_a_used_folder_exits_2(tmp_path):
    ws = _init(tmp_path)

    again = CliRunner().invoke(
        cli,
        [
            "init",
            str(ws),
            "--forms",
            str(KIT / "forms"),
            "--cohort",
            str(KIT / "sample"),
        ],
    )

    assert again.exit_code == 2
    assert "not empty" in again.output


def test_a_held_run_says_it_wrote_nothing(tmp_path):
    ws = _init(tmp_path)
    (ws / "staff-decisions.xlsx").write_text("not a spreadsheet")

    result = CliRunner().invoke(cli, ["sync", "-w", str(ws), "--now", NOW, "--json"])

    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["checklist_cells_written"] == 0 and summary["emails_sent"] == 0
    assert "written" not in summary["checklists"]
    # Every sheet is held, unread: without the staff file nobody is known to
    # have withdrawn, so not even that outcome can be told.
    assert summary["checklists"] == {"not written (run held)": 11}
