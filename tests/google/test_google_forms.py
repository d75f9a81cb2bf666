"""Forms API: every page, the cursor filter, its boundary, edits, a renamed
question."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import KIT, SAMPLE_NOW
from gfake import kit_ports, served
from pmc_sync.errors import ConfigError, FormMappingError
from pmc_sync.sync import run_sync


def _responses(pages) -> list[dict]:
    return [r for page in pages for r in page.get("responses", [])]


def _query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(call.url).query).items()}


def test_every_page_is_read_in_order(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    form_id = ports.forms.form_ids["reflection"]
    with served(fake):
        pages = list(ports.forms.list_responses("reflection"))

    assert len(pages) == len(fake.pages[form_id]) > 1
    assert _responses(pages) == _responses(fake.pages[form_id])
    tokens = [_query(c).get("pageToken") for c in fake.calls if "responses" in c.url]
    assert tokens[0] is None and all(tokens[1:])
    assert all(
        _query(c)["pageSize"] == "5000" for c in fake.calls if "responses" in c.url
    )


def test_since_becomes_a_utc_zulu_timestamp_filter(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        list(
            ports.forms.list_responses(
                "registration", since="2026-08-25T10:00:00-07:00"
            )
        )

    (call,) = [c for c in fake.calls if c.action == "forms.responses.list"]
    assert _query(call)["filter"] == "timestamp >= 2026-08-25T17:00:00Z"


def _read(ports, state, key, full=False):
    since = None if full else state.cursor(key)
    fresh = _responses(ports.forms.list_responses(key, since=since))
    return state.merge(key, fresh, full=since is None)


def _write_count(fake) -> int:
    return len(fake.writes())


def test_cursor_boundary_neither_lost_nor_counted_twice(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    form_id = ports.forms.form_ids["t1_pre"]
    with served(fake):
        state = ports.open_state(False)
        first = _read(ports, state, "t1_pre")
        state.sheet.flush()
        cursor = state.cursor("t1_pre")
        at_cursor = [r for r in first if r["lastSubmittedTime"] == cursor]
        # Submitted in the same millisecond as the newest one already held.
        twin = copy.deepcopy(at_cursor[0])
        twin["responseId"] = "ACYDBNtwinAtTheCursorBoundary000000000000000000000000000"
        fake.submit(form_id, twin)
        writes = _write_count(fake)

        second = _read(ports, state, "t1_pre")

    (call,) = [c for c in fake.calls if "filter" in _query(c)][-1:]
    assert _query(call)["filter"] == f"timestamp >= {cursor}"
    ids = [r["responseId"] for r in second]
    assert len(ids) == len(set(ids)) == len(first) + 1
    assert twin["responseId"] in ids
    assert _write_count(fake) == writes


def test_nothing_new_changes_nothing_in_the_cache(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        state = ports.open_state(False)
        first = _read(ports, state, "registration")
        state.sheet.flush()
        writes = _write_count(fake)
        second = _read(ports, state, "registration")
        state.sheet.flush()

    assert second == first
    assert _write_count(fake) == writes


def test_an_edited_response_is_seen_again_and_replaces_its_old_version(
    tmp_path, config
):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    form_id = ports.forms.form_ids["registration"]
    with served(fake):
        state = ports.open_state(False)
        first = _read(ports, state, "registration")
        edited = copy.deepcopy(first[0])
        edited["lastSubmittedTime"] = "2026-11-29T09:00:00.123Z"
        question = next(iter(edited["answers"]))
        edited["answers"][question]["textAnswers"]["answers"][0]["value"] = "Edited"
        fake.submit(form_id, edited)
        stale = copy.deepcopy(first[1])
        stale["lastSubmittedTime"] = "2000-01-01T00:00:00Z"

        second = _read(ports, state, "registration")
        state.merge("registration", [stale], full=False)
        third = state.merge("registration", [], full=False)

    assert len(second) == len(first)
    (mine,) = [r for r in second if r["responseId"] == edited["responseId"]]
    assert mine == edited
    assert state.cursor("registration") == "2026-11-29T09:00:00.123Z"
    assert [r for r in third if r["responseId"] == stale["responseId"]] == [first[1]]


def test_a_full_read_drops_a_response_deleted_in_the_form(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    form_id = ports.forms.form_ids["t1_post"]
    with served(fake):
        state = ports.open_state(False)
        first = _read(ports, state, "t1_post")
        gone = fake.pages[form_id][0]["responses"].pop(0)
        after = _read(ports, state, "t1_post", full=True)

    assert len(after) == len(first) - 1
    assert gone["responseId"] not in {r["responseId"] for r in after}


def test_a_renamed_question_stops_the_run_before_anything_is_written(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    form = fake.forms[ports.forms.form_ids["reflection"]]
    item = next(i for i in form["items"] if i.get("title") == "Date of the activity")
    item["title"] = "When was it?"
    with served(fake), pytest.raises(FormMappingError) as caught:
        run_sync(ports, config, SAMPLE_NOW)

    assert "'reflection'" in str(caught.value)
    assert "'Date of the activity'" in str(caught.value)
    assert fake.writes() == []
    assert fake.count("forms.responses.list") == 0


def test_a_form_that_is_not_shared_is_a_configuration_error(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    del fake.forms[ports.forms.form_ids["t2_post"]]
    with served(fake), pytest.raises(ConfigError) as caught:
        ports.forms.get_form("t2_post")

    assert "google.forms.t2_post" in str(caught.value)
    assert "share the form" in str(caught.value)


def test_the_same_response_twice_in_one_read_is_held_once(tmp_path, config):
    fake, ports, _ = kit_ports(tmp_path, config, KIT)
    with served(fake):
        state = ports.open_state(False)
        pages = list(ports.forms.list_responses("t2_pre"))
        fresh = _responses(pages)
        held = state.merge("t2_pre", fresh + fresh[:1], full=True)

    assert len(held) == len(fresh)
