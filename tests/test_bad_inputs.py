"""Each file in tests/bad_inputs/ is one kind of bad input, run on the sample.

A case names what to do to a fresh sample workspace and what must follow:

    "responses":  responses to add (a new page per form), answers by title
    "forms":      question titles to rename, duplicate or add in a form
    "checklist":  edits to one participant's checklist file
    "staff":      rows to add to tabs of staff-decisions.xlsx
    "staff_file": raw text to put in place of staff-decisions.xlsx
    "staff_delete_tabs": tabs to delete from staff-decisions.xlsx
    "first_run":  sync once before the edits; "full": the second run reads all
    "delete":     response ids to remove from the form pages
    "expect":     problems, requirements, checklist outcome, unmatched, emails,
                  activity-log rows, exit code or configuration error

Every case also checks that the rest of the run went on: the other
participants still reach what expected.json says.
"""

from __future__ import annotations

import copy
import email
import json
from email import policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import EXPECTED, KIT, SAMPLE_NOW
from pmc_sync.errors import ConfigError
from pmc_sync.report import expected_view
from pmc_sync.sync import run_sync

CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.json"))
CHECKLIST_OF = {
    "farah.haddad@example.edu": "1-lYRKct6wRqQ3gQhPm1HYIlbR05Exrt1Hbd4iKvpbPH",
    "ibrahim.musa@example.edu": "1B6lg4sNnl_8_WKD1QeVXnsmV8_dG7gBEyWHZiBrvduB",
    "avery.chen@example.edu": "1g24PbADDM1bUDujP_6oaqPhghOaLlsqlQLnamwgIXyf",
}


def _question_ids(form: dict) -> dict[str, str]:
    ids = {}
    for item in form["items"]:
        question = item.get("questionItem", {}).get("question")
        if question:
            ids[item["title"]] = question["questionId"]
        for row in item.get("questionGroupItem", {}).get("questions", []):
            ids[f"{item['title']} / {row['rowQuestion']['title']}"] = row["questionId"]
    return ids


def _api_response(spec: dict, form: dict) -> dict:
    """A response as forms.responses.list returns it, from answers by title."""
    ids = _question_ids(form)
    answers = {}
    for title, value in spec.get("answers", {}).items():
        qid = ids[title]
        if isinstance(value, dict) and "files" in value:
            files = [
                {
                    "fileId": f"file{n}",
                    "fileName": f"f{n}.pdf",
                    "mimeType": "application/pdf",
                }
                for n in range(value["files"])
            ]
            answers[qid] = {"questionId": qid, "fileUploadAnswers": {"answers": files}}
        else:
            values = value if isinstance(value, list) else [value]
            answers[qid] = {
                "questionId": qid,
                "textAnswers": {"answers": [{"value": v} for v in values]},
            }
    response = {
        "formId": form["formId"],
        "responseId": spec["id"],
        "createTime": spec.get("created", spec["submitted"]),
        "lastSubmittedTime": spec["submitted"],
        "answers": answers,
    }
    if "email" in spec:
        response["respondentEmail"] = spec["email"]
    return response


def _pages(root: Path, form: str) -> list[Path]:
    return sorted((root / "responses" / form).glob("page-*.json"))


def _add_responses(root: Path, specs: list[dict]) -> None:
    by_form: dict[str, list[dict]] = {}
    for spec in specs:
        form = json.loads((root / "forms" / f"{spec['form']}.json").read_text())
        by_form.setdefault(spec["form"], []).append(_api_response(spec, form))
    for form, responses in by_form.items():
        pages = _pages(root, form)
        last = json.loads(pages[-1].read_text())
        last["nextPageToken"] = f"next-{len(pages)}"
        pages[-1].write_text(json.dumps(last))
        new = pages[-1].with_name(f"page-{len(pages) + 1:03d}.json")
        new.write_text(json.dumps({"responses": responses}))


def _delete_responses(root: Path, ids: list[str]) -> None:
    for page in (root / "responses").rglob("page-*.json"):
        data = json.loads(page.read_text())
        data["responses"] = [r for r in data["responses"] if r["responseId"] not in ids]
        page.write_text(json.dumps(data))


def _edit_forms(root: Path, edits: list[dict]) -> None:
    for edit in edits:
        path = root / "forms" / f"{edit['form']}.json"
        form = json.loads(path.read_text())
        items = form["items"]
        if edit["op"] == "rename":
            next(i for i in items if i["title"] == edit["title"])["title"] = edit["to"]
        elif edit["op"] == "duplicate":
            twin = copy.deepcopy(next(i for i in items if i["title"] == edit["title"]))
            twin["itemId"] += "0"
            twin["questionItem"]["question"]["questionId"] += "0"
            items.append(twin)
        elif edit["op"] == "add":
            items.append(
                {
                    "itemId": "feed0001",
                    "title": edit["title"],
                    "questionItem": {
                        "question": {"questionId": "feed0002", "textQuestion": {}}
                    },
                }
            )
        path.write_text(json.dumps(form))


def _edit_checklist(root: Path, spec: dict) -> None:
    path = root / "checklists" / f"{CHECKLIST_OF[spec['participant']]}.xlsx"
    book = load_workbook(path)
    sheet = book.worksheets[0]
    for op in spec["ops"]:
        rows = list(sheet.iter_rows())
        header = next(r for r in rows if any(c.value == "Key" for c in r))
        column = {c.value: c.column for c in header}
        key_rows = {r[column["Key"] - 1].value: r[0].row for r in rows}
        if op["op"] == "set":
            cell = sheet.cell(key_rows[op["key"]], column[op["header"]])
            cell.value = op["value"]
        elif op["op"] == "delete_row":
            sheet.delete_rows(key_rows[op["key"]])
        elif op["op"] == "copy_row":
            source = key_rows[op["key"]]
            sheet.insert_rows(source + 1)
            for c in range(1, sheet.max_column + 1):
                sheet.cell(source + 1, c).value = sheet.cell(source, c).value
        elif op["op"] == "insert_rows_above":
            sheet.insert_rows(1, op["count"])
        elif op["op"] == "rename_tab":
            sheet.title = op["to"]
    book.save(path)


def _add_staff_rows(root: Path, tabs: dict[str, list[list[str]]]) -> None:
    path = root / "staff-decisions.xlsx"
    book = load_workbook(path)
    for tab, rows in tabs.items():
        for row in rows:
            book[tab].append(row)
    book.save(path)


def _checklist_rows(root: Path, participant: str, tab: int | str) -> list[list]:
    book = load_workbook(root / "checklists" / f"{CHECKLIST_OF[participant]}.xlsx")
    sheet = book.worksheets[tab] if isinstance(tab, int) else book[tab]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return rows, [[c.data_type for c in row] for row in sheet.iter_rows()]


def _emails_to(root: Path, participant: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((root / "outbox").glob(f"{participant}--*.eml"))
    ]


def _check_expectations(case: dict, result, root: Path) -> None:
    expect = case["expect"]
    problems = [f"{p['where']}: {p['problem']}" for p in result.problems]
    for wanted in expect.get("problems", []):
        assert any(all(w in p for w in wanted) for p in problems), (wanted, problems)
    if "problem_count" in expect:
        assert len(problems) == expect["problem_count"], problems
    view = expected_view(result)["participants"]
    for person, requirements in expect.get("requirements", {}).items():
        for key, fields in requirements.items():
            got = view[person]["requirements"][key]
            assert {k: got.get(k) for k in fields} == fields, (person, key, got)
    for person, outcome in expect.get("checklist", {}).items():
        assert result.checklists[person].outcome == outcome
    if "unmatched" in expect:
        assert sorted(result.recon.unmatched["email"]) == sorted(expect["unmatched"])
    for person, events in expect.get("emails", {}).items():
        assert [e for p, e, _ in result.emails_sent if p == person] == events
    for person, header in expect.get("to_header", {}).items():
        (message,) = [m for m in _emails_to(root, person)][:1]
        assert str(message["To"]) == header
        assert message["Bcc"] is None
    for person, row in expect.get("activity_log_row", {}).items():
        rows, types = _checklist_rows(root, person, "Activity log")
        assert row in rows, rows
        assert not any("f" in line for line in types)
    for person, cell in expect.get("checklist_cell", {}).items():
        rows, types = _checklist_rows(root, person, 0)
        header = next(r for r in rows if "Key" in r)
        r = next(i for i, line in enumerate(rows) if cell["key"] in line)
        c = header.index(cell["header"])
        assert rows[r][c] == cell["value"]
        assert types[r][c] != "f"
    for person, cell in expect.get("notes_kept", {}).items():
        rows, _ = _checklist_rows(root, person, 0)
        header = next(r for r in rows if "Key" in r)
        line = next(r for r in rows if cell["key"] in r)
        assert line[header.index(cell["header"])] == cell["value"]
    for text in expect.get("never_seen", []):
        for path in (root / "checklists").glob("*.xlsx"):
            for sheet in load_workbook(path).worksheets:
                for row in sheet.iter_rows(values_only=True):
                    assert not any(text in str(v) for v in row if v is not None)
        for path in (root / "outbox").glob("*.eml"):
            assert text not in path.read_bytes().decode("utf-8", "replace")


def _others_unaffected(case: dict, result) -> None:
    touched = set(case.get("touches", []))
    view = expected_view(result)["participants"]
    for person, want in EXPECTED["participants"].items():
        if person in touched:
            continue
        assert view[person]["requirements"] == want["requirements"], person
        assert view[person]["flags"] == want["flags"], person


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input(path, sample_workspace, config):
    case = json.loads(path.read_text())
    root = sample_workspace.root
    if case.get("first_run"):
        run_sync(sample_workspace, config, SAMPLE_NOW)
    _add_responses(root, case.get("responses", []))
    _delete_responses(root, case.get("delete", []))
    _edit_forms(root, case.get("forms", []))
    if "checklist" in case:
        _edit_checklist(root, case["checklist"])
    _add_staff_rows(root, case.get("staff", {}))
    if case.get("staff_delete_tabs"):
        book = load_workbook(root / "staff-decisions.xlsx")
        for tab in case["staff_delete_tabs"]:
            del book[tab]
        book.save(root / "staff-decisions.xlsx")
    if "staff_file" in case:
        (root / "staff-decisions.xlsx").write_text(case["staff_file"])

    if "config_error" in case["expect"]:
        with pytest.raises(ConfigError) as error:
            run_sync(sample_workspace, config, SAMPLE_NOW)
        for part in case["expect"]["config_error"]:
            assert part in str(error.value)
        assert not list((root / "outbox").glob("*.eml"))
        return

    result = run_sync(
        sample_workspace, config, SAMPLE_NOW, full=case.get("full", False)
    )

    assert result.exit_code == case["expect"].get("exit_code", 0)
    _check_expectations(case, result, root)
    _others_unaffected(case, result)


def test_there_is_a_case_for_each_kind():
    assert len(CASES) >= 30
    assert KIT.is_dir()
