"""Properties of reconcile over generated cohorts (hypothesis).

- The result does not depend on the order of responses or how they are paged.
- Reading the same responses twice equals reading them once.
- Adding a new response never un-completes a requirement, unless it replaces
  something (a later Tier 2 pre-assessment moves the mentoring start date).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KIT
from pmc_sync.config import load_config
from pmc_sync.decisions import StaffDecisions
from pmc_sync.forms import build_question_map, responses_frame
from pmc_sync.reconcile import reconcile

CONFIG = load_config()
FORMS = {
    key: json.loads((KIT / "forms" / f"{key}.json").read_text()) for key in CONFIG.forms
}
QMAPS = {key: build_question_map(CONFIG.forms[key], FORMS[key]) for key in FORMS}
NOW = dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC)
START = dt.date(2026, 1, 5)
PEOPLE = [f"p{n}@example.edu" for n in range(4)]
ACTIVITIES = list(CONFIG.activities.values())
FORM_KEYS = ["t1_pre", "t1_post", "t1_capstone", "coaching_feedback", "t2_post"]


def _qid(form: str, field: str) -> str:
    return QMAPS[form].qid_by_field[field]


def _text(qid: str, value: str) -> dict:
    return {"questionId": qid, "textAnswers": {"answers": [{"value": value}]}}


@st.composite
def responses(draw, rid_prefix: str = "r", with_t2_pre: bool = True):
    """A list of (form key, API response) for a small random cohort."""
    out = []
    n = draw(st.integers(min_value=0, max_value=15))
    for i in range(n):
        person = draw(st.sampled_from(PEOPLE))
        day = START + dt.timedelta(days=draw(st.integers(0, 300)))
        stamp = f"{day.isoformat()}T{draw(st.integers(16, 23)):02d}:00:00Z"
        kinds = ["reflection"] * 4 + FORM_KEYS + (["t2_pre"] if with_t2_pre else [])
        form = draw(st.sampled_from(kinds))
        answers = {}
        if form == "reflection":
            answers[_qid(form, "activity")] = _text(
                _qid(form, "activity"), draw(st.sampled_from(ACTIVITIES))
            )
            answers[_qid(form, "date")] = _text(_qid(form, "date"), day.isoformat())
            answers[_qid(form, "full_attendance")] = _text(
                _qid(form, "full_attendance"), draw(st.sampled_from(["Yes", "No"]))
            )
        if form == "t1_capstone":
            for qid in QMAPS[form].required_answer_qids:
                answers[qid] = _text(qid, "an answer")
        if form == "t2_pre":
            answers[_qid(form, "mentee_name")] = _text(_qid(form, "mentee_name"), "M")
            start = day + dt.timedelta(days=draw(st.integers(0, 20)))
            answers[_qid(form, "start_date")] = _text(
                _qid(form, "start_date"), start.isoformat()
            )
        out.append(
            (
                form,
                {
                    "responseId": f"{rid_prefix}{i}",
                    "createTime": stamp,
                    "lastSubmittedTime": stamp,
                    "respondentEmail": person,
                    "answers": answers,
                },
            )
        )
    return out


def _registrations() -> list[tuple[str, dict]]:
    name, link = _qid("registration", "full_name"), _qid(
        "registration", "checklist_link"
    )
    return [
        (
            "registration",
            {
                "responseId": f"reg{n}",
                "createTime": "2026-01-02T17:00:00Z",
                "lastSubmittedTime": "2026-01-02T17:00:00Z",
                "respondentEmail": person,
                "answers": {name: _text(name, f"Person {n}"), link: _text(link, "x")},
            },
        )
        for n, person in enumerate(PEOPLE)
    ]


def _frame(items: list[tuple[str, dict]], page_size: int = 3) -> pd.DataFrame:
    frames = []
    for form in QMAPS:
        mine = [r for f, r in items if f == form]
        pages = [
            {"responses": mine[i : i + page_size]}
            for i in range(0, len(mine), page_size)
        ]
        frames.append(responses_frame(QMAPS[form], pages))
    return pd.concat(frames, ignore_index=True)


def _outcome(items: list[tuple[str, dict]], page_size: int = 3) -> dict:
    decisions = StaffDecisions(
        elective_approvals=frozenset(r["responseId"] for _, r in items[::2])
    )
    recon = reconcile(_frame(items, page_size), decisions, CONFIG, NOW)
    progress = recon.progress.sort_values(["participant", "requirement"])
    activities = recon.activities.sort_values("response_id")
    return {
        "progress": progress[
            ["participant", "requirement", "done", "completed_on", "count"]
        ]
        .astype(str)
        .values.tolist(),
        "activities": activities[["response_id", "counted", "reason", "tier"]]
        .astype(str)
        .values.tolist(),
        "flags": sorted(zip(recon.flags["participant"], recon.flags["flag"])),
    }


# Derandomized: CI sees the same examples every run; a failure reproduces.
QUICK = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@QUICK
@given(responses(), st.randoms(use_true_random=False), st.integers(1, 7))
def test_order_and_paging_do_not_matter(items, rng, page_size):
    items = _registrations() + items
    shuffled = list(items)
    rng.shuffle(shuffled)

    assert _outcome(shuffled, page_size) == _outcome(items)


@QUICK
@given(responses())
def test_reading_everything_twice_equals_reading_it_once(items):
    items = _registrations() + items

    assert _outcome(items + items) == _outcome(items)


@QUICK
@given(responses(), responses(rid_prefix="new", with_t2_pre=False))
def test_adding_responses_never_uncompletes_a_requirement(items, added):
    items = _registrations() + items

    def done(outcome: dict) -> set[tuple[str, str]]:
        return {(p, r) for p, r, d, _, _ in outcome["progress"] if d == "True"}

    assert done(_outcome(items)) <= done(_outcome(items + added))
