"""Forms API payloads mapped through the configured question titles."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import KIT
from pmc_sync.adapters.local_forms import LocalForms
from pmc_sync.errors import FormMappingError, WorkspaceError
from pmc_sync.forms import build_question_map, prefilled_link, responses_frame


def _form(key):
    return json.loads((KIT / "forms" / f"{key}.json").read_text())


def test_fields_are_found_by_title_not_by_id(config):
    form = _form("reflection")
    copied = copy.deepcopy(form)
    for item in copied["items"]:
        item["questionItem"]["question"]["questionId"] += "0"  # a copied form

    qmap = build_question_map(config.forms["reflection"], copied)

    assert qmap.qid_by_field["activity"] == "a0a10945" + "0"
    assert qmap.qid_by_field["date"] == "944e30a7" + "0"


def test_a_renamed_question_is_a_configuration_error_naming_form_and_title(config):
    form = _form("reflection")
    form["items"][1]["title"] = "When was it?"

    with pytest.raises(FormMappingError) as error:
        build_question_map(config.forms["reflection"], form)

    message = str(error.value)
    assert "'reflection'" in message and "'Date of the activity'" in message
    assert "forms.reflection.fields.date" in message


def test_a_duplicated_title_is_ambiguous(config):
    form = _form("reflection")
    form["items"][2]["title"] = "Activity"

    with pytest.raises(FormMappingError, match="2 questions titled 'Activity'"):
        build_question_map(config.forms["reflection"], form)


def test_a_new_question_is_reported_not_fatal(config):
    form = _form("registration")
    form["items"].append(
        {
            "itemId": "x1",
            "title": "Pronouns",
            "questionItem": {"question": {"questionId": "0abc", "textQuestion": {}}},
        }
    )

    qmap = build_question_map(config.forms["registration"], form)

    assert qmap.unknown_titles == ("Pronouns",)


def test_grid_rows_are_separate_fields(config):
    qmap = build_question_map(config.forms["t1_pre"], _form("t1_pre"))

    rows = sorted(n for n in qmap.field_by_qid.values() if n.startswith("confidence:"))
    assert len(rows) == 8
    assert "confidence:Listening actively" in rows


def test_email_question_is_used_when_the_form_collects_no_email(config):
    qmap = build_question_map(config.forms["t2_portfolio"], _form("t2_portfolio"))
    pages = list(LocalForms(KIT / "sample").list_responses("t2_portfolio"))

    frame = responses_frame(qmap, pages)

    assert not qmap.collects_email
    assert frame["respondent_email"].tolist() == ["Esperanza.Diaz@example.edu"]
    assert frame["files_attached"].tolist() == [3]


def test_every_page_is_read_in_token_order(config):
    pages = list(LocalForms(KIT / "sample").list_responses("reflection"))

    assert len(pages) == 20
    assert pages[-1].get("nextPageToken") is None
    assert all(p["nextPageToken"] for p in pages[:-1])


def test_a_token_pointing_past_the_last_page_is_an_error(tmp_path):
    folder = tmp_path / "responses" / "reflection"
    folder.mkdir(parents=True)
    (folder / "page-001.json").write_text(
        json.dumps({"responses": [], "nextPageToken": "t"})
    )

    with pytest.raises(WorkspaceError, match="past the last page"):
        list(LocalForms(tmp_path).list_responses("reflection"))


def test_prefilled_link_uses_the_question_id_read_as_hex(config):
    qmap = build_question_map(config.forms["t2_portfolio"], _form("t2_portfolio"))

    link = prefilled_link(qmap, {qmap.email_qid: "ana.lima@example.edu"})

    assert qmap.email_qid == "edba2784"
    assert link == (
        "https://docs.google.com/forms/d/e/"
        "1FAIpQLNXRLvLn-Ae8n2KhTdsIoxj2ytZvAgVD00w4h2mIa8MNUHAiKNK/viewform"
        f"?usp=pp_url&entry.{0xEDBA2784}=ana.lima%40example.edu"
    )
    assert f"entry.{0xEDBA2784}" == "entry.3988400004"


def test_multi_valued_answers_stay_whole(config):
    qmap = build_question_map(config.forms["reflection"], _form("reflection"))
    page = {
        "responses": [
            {
                "responseId": "r1",
                "createTime": "2026-01-01T00:00:00Z",
                "lastSubmittedTime": "2026-01-01T00:00:00Z",
                "respondentEmail": "a@example.edu",
                "answers": {
                    "a0a10945": {
                        "questionId": "a0a10945",
                        "textAnswers": {
                            "answers": [{"value": "Lunch, with notes"}, {"value": "B"}]
                        },
                    }
                },
            }
        ]
    }

    frame = responses_frame(qmap, [page])

    assert frame.loc[0, "activity"] == ("Lunch, with notes", "B")


def test_a_new_question_is_reported_once_across_runs(sample_workspace, config):
    from conftest import SAMPLE_NOW
    from pmc_sync.sync import run_sync

    path = sample_workspace.root / "forms" / "registration.json"
    form = json.loads(path.read_text())
    form["items"].append(
        {
            "itemId": "x1",
            "title": "Pronouns",
            "questionItem": {"question": {"questionId": "0abc", "textQuestion": {}}},
        }
    )
    path.write_text(json.dumps(form))

    first = run_sync(sample_workspace, config, SAMPLE_NOW)
    second = run_sync(sample_workspace, config, SAMPLE_NOW)

    assert [p["problem"] for p in first.problems] == [
        "form 'registration': question 'Pronouns' is not in config/forms.toml; ignored"
    ]
    assert second.problems == []
