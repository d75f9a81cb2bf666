"""Turn Forms API payloads into named fields, through the configured titles.

``forms.get`` gives each question an id and a title; ``forms.responses.list``
keys answers by question id. Ids change when a form is copied, titles are
what staff see, so the mapping in ``config/forms.toml`` is by title and this
module resolves it against the live form. Nothing here touches the network or
the disk: the adapters hand in the JSON.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pmc_sync.config import FormMapping
from pmc_sync.errors import FormMappingError

log = logging.getLogger(__name__)

BASE_COLUMNS = (
    "form",
    "response_id",
    "respondent_email",
    "create_time",
    "last_submitted",
    "answered_required",
    "files_attached",
)


@dataclass(frozen=True)
class QuestionMap:
    """A form's questions resolved against its mapping."""

    form_key: str
    form_id: str
    responder_uri: str
    field_by_qid: dict[str, str]
    required_answer_qids: frozenset[str]
    required_file_qids: frozenset[str]
    email_qid: str | None
    collects_email: bool
    unknown_titles: tuple[str, ...] = ()
    qid_by_field: dict[str, str] = field(default_factory=dict)


def _questions(form_json: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """Yield (title, question id); a grid row is titled "<grid>\x1f<row>"."""
    for item in form_json.get("items", []):
        title = (item.get("title") or "").strip()
        question = item.get("questionItem", {}).get("question")
        if question and "questionId" in question:
            yield title, question["questionId"]
        for row in item.get("questionGroupItem", {}).get("questions", []):
            row_title = (row.get("rowQuestion", {}).get("title") or "").strip()
            yield f"{title}\x1f{row_title}", row["questionId"]


def build_question_map(mapping: FormMapping, form_json: dict[str, Any]) -> QuestionMap:
    """Resolve every configured title to its question id.

    Raises:
        FormMappingError: a configured title is missing or appears twice.
    """
    by_title: dict[str, list[str]] = {}
    for title, qid in _questions(form_json):
        by_title.setdefault(title, []).append(qid)

    def resolve(title: str, setting: str) -> str:
        qids = by_title.get(title.strip(), [])
        if not qids:
            raise FormMappingError(
                "forms.toml",
                f"forms.{mapping.key}.{setting}",
                f"form {mapping.key!r} has no question titled {title!r}",
                "rename the question back, or put its new title in config/forms.toml",
            )
        if len(qids) > 1:
            raise FormMappingError(
                "forms.toml",
                f"forms.{mapping.key}.{setting}",
                f"form {mapping.key!r} has {len(qids)} questions titled {title!r}",
                "give each question a distinct title in the form",
            )
        return qids[0]

    field_by_qid: dict[str, str] = {}
    for name, title in mapping.fields.items():
        field_by_qid[resolve(title, f"fields.{name}")] = name
    for name, grid_title in mapping.grids.items():
        rows = [
            (t.split("\x1f", 1)[1], q[0])
            for t, q in by_title.items()
            if t.startswith(grid_title.strip() + "\x1f")
        ]
        if not rows:
            resolve(grid_title, f"grids.{name}")
        for row_title, qid in rows:
            field_by_qid[qid] = f"{name}:{row_title}"
    required = frozenset(
        resolve(t, "required_answers") for t in mapping.required_answers
    )
    files = frozenset(resolve(t, "required_files") for t in mapping.required_files)
    email_qid = (
        resolve(mapping.email_question, "email_question")
        if mapping.email_question
        else None
    )
    known = set(field_by_qid) | required | files | ({email_qid} - {None})
    ignored = {t.strip() for t in mapping.ignored}
    unknown = tuple(
        t.replace("\x1f", " / ")
        for t, qids in by_title.items()
        if not set(qids) & known
        and t.split("\x1f")[0] not in ignored
        and not mapping.confidential
    )
    collection = form_json.get("settings", {}).get("emailCollectionType", "")
    return QuestionMap(
        form_key=mapping.key,
        form_id=form_json.get("formId", ""),
        responder_uri=form_json.get("responderUri", ""),
        field_by_qid=field_by_qid,
        required_answer_qids=required,
        required_file_qids=files,
        email_qid=email_qid,
        collects_email=collection not in ("", "DO_NOT_COLLECT"),
        unknown_titles=unknown,
        qid_by_field={name: qid for qid, name in field_by_qid.items()},
    )


def _answer_value(answer: dict[str, Any]) -> str | tuple[str, ...] | None:
    values = [
        a.get("value", "") for a in answer.get("textAnswers", {}).get("answers", [])
    ]
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def responses_frame(qmap: QuestionMap, pages: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Flatten ``responses.list`` pages into one row per response version.

    Columns: ``BASE_COLUMNS`` plus one per mapped field. A multi-valued answer
    (checkboxes) stays a tuple; nothing is joined on commas.
    """
    rows = []
    for page in pages:
        for response in page.get("responses", []):
            answers = response.get("answers", {})
            row: dict[str, Any] = {
                "form": qmap.form_key,
                "response_id": response.get("responseId", ""),
                "respondent_email": response.get("respondentEmail"),
                "create_time": response.get("createTime"),
                "last_submitted": response.get("lastSubmittedTime")
                or response.get("createTime"),
                "answered_required": sum(
                    1
                    for qid in qmap.required_answer_qids
                    if str(_answer_value(answers.get(qid, {})) or "").strip()
                ),
                "files_attached": sum(
                    1
                    for qid in qmap.required_file_qids
                    if answers.get(qid, {}).get("fileUploadAnswers", {}).get("answers")
                ),
            }
            if qmap.email_qid and not row["respondent_email"]:
                row["respondent_email"] = _answer_value(answers.get(qmap.email_qid, {}))
            for qid, name in qmap.field_by_qid.items():
                if qid in answers:
                    row[name] = _answer_value(answers[qid])
            rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else list(BASE_COLUMNS))
    for name in qmap.field_by_qid.values():
        if name not in frame.columns:
            frame[name] = None
    return frame


def timestamp_key(stamp: str | None) -> str:
    """An RFC 3339 time as UTC text that sorts in time order.

    The API writes fractions of a second with as many digits as it likes
    (``...:00Z``, ``...:00.4Z``, ``...:00.449Z``); compared as text those do
    not sort by time. Unreadable or missing times give "".
    """
    if not stamp:
        return ""
    head, dot, rest = stamp.strip().partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        stamp = f"{head}.{digits[:6]}{zone}"
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prefilled_link(qmap: QuestionMap, values: dict[str, str]) -> str:
    """The form's address with answers pre-filled.

    ``values`` maps a question id to its answer; the URL names each question
    as ``entry.N`` where N is the question id read as hexadecimal.
    """
    from urllib.parse import urlencode

    if not values:
        return qmap.responder_uri
    params = [("usp", "pp_url")]
    params += [(f"entry.{int(qid, 16)}", value) for qid, value in values.items()]
    return f"{qmap.responder_uri}?{urlencode(params)}"
