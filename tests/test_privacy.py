"""The mentee's confidential assessment, assessment answers, and logs."""

from __future__ import annotations

import email
import json
import logging
from email import policy

from openpyxl import load_workbook

from conftest import SAMPLE_NOW
from pmc_sync.sync import run_sync

# Texts of the sample that must never reach a log: answers and email bodies.
PRIVATE_TEXTS = (
    "Notes on mentoring",  # activity reflections
    "My answer about",  # capstone answers
    "The role plays.",  # post-assessment free text
    "Giving feedback.",  # coaching feedback
    "Congratulations",  # an email body
    "Summer research program",  # Tier 2 pre-assessment answers
    "CONFIDENTIAL-MENTEE-REMARK",
)


def _plant_markers(root):
    """Put a unique marker in every field of every mentee response."""
    page = root / "responses" / "mentee_assessment" / "page-001.json"
    data = json.loads(page.read_text())
    markers = []
    for n, response in enumerate(data["responses"]):
        response["respondentEmail"] = f"zq-mentee-{n}@example.org"
        markers.append(f"zq-mentee-{n}")
        for qid, answer in response["answers"].items():
            for m, value in enumerate(answer["textAnswers"]["answers"]):
                if "@" in value["value"]:
                    continue  # keep the mentor's address: the feedback is about her
                marker = f"ZQMARK{n}x{qid}x{m}"
                value["value"] = marker
                markers.append(marker)
    page.write_text(json.dumps(data))
    return markers


def _participant_artefacts(root):
    """Every value of every checklist, and every email as received."""
    seen = []
    for path in sorted((root / "checklists").glob("*.xlsx")):
        for sheet in load_workbook(path).worksheets:
            seen.append(
                [[str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            )
    for path in sorted((root / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [p.get_content() for p in message.walk() if not p.is_multipart()]
        seen.append([message["To"], message["Subject"], *parts])
    return json.dumps(seen)


def test_no_field_of_a_mentee_response_reaches_any_participant(
    sample_workspace, config, caplog
):
    markers = _plant_markers(sample_workspace.root)
    assert len(markers) > 9

    with caplog.at_level(logging.DEBUG):
        run_sync(sample_workspace, config, SAMPLE_NOW)

    seen = _participant_artefacts(sample_workspace.root)
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for marker in markers:
        assert marker not in seen
        assert marker not in logs


def test_whether_a_mentee_assessment_exists_changes_nothing_a_participant_sees(
    tmp_path, config
):
    from conftest import KIT
    from pmc_sync.workspace import init_workspace

    with_it = init_workspace(tmp_path / "a", KIT / "forms", KIT / "sample", config)
    without = init_workspace(tmp_path / "b", KIT / "forms", KIT / "sample", config)
    page = without.root / "responses" / "mentee_assessment" / "page-001.json"
    page.write_text(json.dumps({"responses": []}))

    run_sync(with_it, config, SAMPLE_NOW)
    run_sync(without, config, SAMPLE_NOW)

    assert _participant_artefacts(with_it.root) == _participant_artefacts(without.root)


def test_logs_carry_no_answers_no_bodies_no_tokens(sample_workspace, config, caplog):
    with caplog.at_level(logging.DEBUG):
        result = run_sync(sample_workspace, config, SAMPLE_NOW)

    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "email t1_complete sent to chiara.rossi@example.edu" in logs
    for text in PRIVATE_TEXTS:
        assert text not in logs
    summary = json.dumps(result.problems)
    assert "Notes on mentoring" not in summary
