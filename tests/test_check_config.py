"""check-config and preview: they read, render and report, and change nothing."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from conftest import EXPECTED
from pmc_sync.cli import cli
from pmc_sync.config import REPO_ROOT, TEMPLATES_ENV
from pmc_sync.google.auth import scopes_text

NOW = EXPECTED["now"]
PERSON = "chiara.rossi@example.edu"


def _files(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_check_config_passes_on_the_sample_and_changes_nothing(sample_workspace):
    before = _files(sample_workspace.root)

    result = CliRunner().invoke(
        cli, ["check-config", "-w", str(sample_workspace.root), "--now", NOW]
    )

    assert result.exit_code == 0, result.output
    assert "form registration: 4 question(s) matched by title" in result.output
    assert "templates: 9 email(s) rendered for" in result.output
    assert "mail from: pmc@example.edu" in result.output
    for scope in scopes_text():
        assert scope in result.output
    assert _files(sample_workspace.root) == before


def test_check_config_names_a_renamed_question_and_the_fix(sample_workspace):
    path = sample_workspace.root / "forms" / "registration.json"
    form = json.loads(path.read_text())
    question = next(i for i in form["items"] if i.get("title") == "Full name")
    question["title"] = "Your name"
    path.write_text(json.dumps(form))

    result = CliRunner().invoke(cli, ["check-config", "-w", str(sample_workspace.root)])

    assert result.exit_code == 2
    assert "forms.toml: forms.registration.fields." in result.output
    assert "no question titled 'Full name'" in result.output
    assert "fix:" in result.output


def test_check_config_reports_a_template_that_does_not_render(
    sample_workspace, tmp_path, monkeypatch
):
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    (templates / "welcome.txt").write_text("Dear {{ nmae }},\n")
    monkeypatch.setenv(TEMPLATES_ENV, str(templates))

    result = CliRunner().invoke(cli, ["check-config", "-w", str(sample_workspace.root)])

    assert result.exit_code == 2
    assert "templates/welcome: does not render" in result.output
    assert "nmae" in result.output


def test_preview_prints_the_text_and_writes_the_html_sending_nothing(
    sample_workspace, tmp_path
):
    before = _files(sample_workspace.root)
    html = tmp_path / "preview.html"

    result = CliRunner().invoke(
        cli,
        ["preview", "t1_complete", "--participant", PERSON.upper()]
        + ["-w", str(sample_workspace.root), "--now", NOW, "--html", str(html)],
    )

    assert result.exit_code == 0, result.output
    assert f"To: Chiara <{PERSON}>" in result.output
    assert "Congratulations: you have earned Tier 1" in result.output
    assert "<html" in html.read_text().lower()
    assert _files(sample_workspace.root) == before


def test_preview_of_an_unknown_event_lists_the_events(sample_workspace):
    result = CliRunner().invoke(
        cli,
        ["preview", "t3_complete", "--participant", PERSON]
        + ["-w", str(sample_workspace.root)],
    )

    assert result.exit_code == 2
    assert "t1_complete" in result.output
