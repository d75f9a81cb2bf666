"""The discovery-document check itself: it must reject what the API cannot send."""

from __future__ import annotations

import json

import pytest

from conftest import KIT
from gschema import check_response, problems


def test_every_kit_payload_is_a_possible_forms_response():
    for path in (KIT / "forms").glob("*.json"):
        check_response("forms", "forms.forms.get", json.loads(path.read_text()))
    for path in (KIT / "sample" / "responses").rglob("page-*.json"):
        check_response(
            "forms", "forms.forms.responses.list", json.loads(path.read_text())
        )


@pytest.mark.parametrize(
    ("schema", "payload", "words"),
    [
        ("FormResponse", {"responseID": "x"}, "no field 'responseID'"),
        ("FormResponse", {"totalScore": "9"}, "expected a number"),
        ("FormResponse", {"answers": {"q": {"textAnswers": []}}}, "expected an object"),
        ("Form", {"settings": {"emailCollectionType": "ALWAYS"}}, "is not one of"),
        ("ListFormResponsesResponse", {"responses": {}}, "expected an array"),
    ],
)
def test_a_payload_the_forms_api_could_not_return_fails(schema, payload, words):
    found = problems("forms", schema, payload)
    assert any(words in p for p in found), found


def test_sheets_and_gmail_shapes_are_checked_too():
    assert problems(
        "sheets", "Spreadsheet", {"sheets": [{"properties": {"index": "0"}}]}
    )
    assert problems("gmail", "Message", {"id": 1})
    assert not problems("gmail", "ListMessagesResponse", {"resultSizeEstimate": 0})
