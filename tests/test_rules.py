"""One or more tests per rule of RULES.md, on small hand-built frames.

Every test calls the pure functions (``reconcile`` and ``emails_due``) on a
few responses. Numbers come from ``config/program.toml``; where a test
changes one with ``dataclasses.replace`` it proves the rule reads the setting.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from builders import (
    COACHING,
    COMPACT,
    CONFIG,
    ELECTIVE,
    MF,
    MONDAY,
    OUTLINE,
    WEEKLY,
    Responses,
    activity_rows,
    day,
    decisions,
    done_on,
    due,
    events,
    fact,
    flags_of,
    ledger,
    noon,
    requirement,
    run,
    tier1_done,
    tier2_done,
)

ADA = "ada@uni.edu"
BEN = "ben@uni.edu"
T1_DONE = day("2026-02-04")  # tier1_done(start="2026-01-05")
MENTORING_START = "2026-02-09"


def with_mentee(b: Responses, email: str = ADA, on: str = MENTORING_START) -> str:
    """A Tier 2 pre-assessment after Tier 1, naming a mentee from ``on``."""
    return b.form(email, "t2_pre", on, mentee_name="Grace", start_date=on)


# --- Participants and identity ------------------------------------------------


def test_identity_email_is_trimmed_and_lower_cased():
    b = Responses()
    b.register("  Ada@Uni.EDU ")
    b.log("ADA@uni.edu  ", MF, "2026-01-08", full="Yes")
    recon = run(b)
    assert list(recon.participants.index) == [ADA]
    assert done_on(recon, ADA, "T1.fundamentals") == day("2026-01-08")
    assert recon.unmatched.empty


def test_identity_trailing_dot_is_dropped():
    b = Responses()
    b.register("ada@uni.edu.")
    b.form("Ada@Uni.edu", "t1_pre", "2026-01-06")
    recon = run(b)
    assert list(recon.participants.index) == [ADA]
    assert done_on(recon, ADA, "T1.pre") == day("2026-01-06")
    assert recon.unmatched.empty


def test_identity_alias_maps_another_address_to_the_participant():
    b = Responses()
    b.register(ADA)
    rid = b.log("ada.personal@gmail.com", MF, "2026-01-08", full="Yes")
    staff = decisions(aliases={" Ada.Personal@Gmail.com ": "ADA@uni.edu"})
    recon = run(b, staff)
    assert done_on(recon, ADA, "T1.fundamentals") == day("2026-01-08")
    assert recon.unmatched.empty
    assert activity_rows(recon, ADA)["response_id"].tolist() == [rid]


def test_identity_without_the_alias_the_other_address_is_unmatched():
    b = Responses()
    b.register(ADA)
    rid = b.log("ada.personal@gmail.com", MF, "2026-01-08", full="Yes")
    recon = run(b)
    assert done_on(recon, ADA, "T1.fundamentals") is None
    assert recon.unmatched["response_id"].tolist() == [rid]


def test_unmatched_response_is_listed_and_never_counted():
    b = Responses()
    b.register(ADA)
    rid = b.log("visitor@example.org", MONDAY, "2026-01-12")
    recon = run(b, config=dataclasses.replace(CONFIG, mondays_required=1))
    listed = recon.unmatched.to_dict("records")
    assert listed == [
        {
            "email": "visitor@example.org",
            "form": "reflection",
            "response_id": rid,
            "submitted": "2026-01-12T18:00:00Z",
        }
    ]
    assert rid not in recon.activities["response_id"].tolist()
    assert list(recon.participants.index) == [ADA]
    assert done_on(recon, ADA, "T1.mondays") is None


def test_unmatched_form_response_is_listed_too():
    b = Responses()
    b.register(ADA)
    rid = b.form("stranger@uni.edu", "t1_pre", "2026-01-06")
    recon = run(b)
    assert recon.unmatched["response_id"].tolist() == [rid]
    assert recon.unmatched["form"].tolist() == ["t1_pre"]
    assert done_on(recon, ADA, "T1.pre") is None


def test_unmatched_response_without_any_email_is_listed_not_dropped():
    # The portfolio form collects no respondent email; here its email
    # question was left blank too.
    b = Responses()
    b.register(ADA)
    rid = b.form(None, "t2_portfolio", "2026-04-20")
    recon = run(b)
    assert recon.unmatched["response_id"].tolist() == [rid]
    assert rid not in recon.activities["response_id"].tolist()


def test_registration_without_a_usable_email_is_listed_for_staff():
    # It matches no participant, so it is unmatched: never dropped, listed.
    b = Responses()
    b.register(ADA)
    rid = b.register("ada at uni dot edu", name="Ada Lovelace")
    recon = run(b)
    assert list(recon.participants.index) == [ADA]
    assert rid in recon.unmatched["response_id"].tolist()


def test_reconcile_runs_when_nobody_has_a_counted_t2_pre():
    # A cohort in its first weeks: nobody has reached Tier 2 yet.
    b = Responses()
    b.register(ADA)
    recon = run(b)
    assert list(recon.participants.index) == [ADA]
    assert done_on(recon, ADA, "T1.register") == day("2026-01-05")


def test_unmatched_dismissed_by_staff_is_no_longer_listed_nor_counted():
    b = Responses()
    b.register(ADA)
    rid = b.log("visitor@example.org", MONDAY, "2026-01-12")
    recon = run(b, decisions(dismissed_unmatched=[rid]))
    assert recon.unmatched.empty
    assert rid not in recon.activities["response_id"].tolist()


def test_several_registrations_latest_non_blank_field_wins_earliest_fixes_date():
    b = Responses()
    b.register(
        ADA, on="2026-01-05", name="Ada Lovelace", preferred="Ada", link="https://a"
    )
    b.register(ADA, on="2026-01-20", name="Ada King", preferred=None, link="https://b")
    b.register(ADA, on="2026-01-10", name="  ", preferred="Countess", link=None)
    person = run(b).participants.loc[ADA]
    assert person["full_name"] == "Ada King"
    assert person["preferred_name"] == "Countess"
    assert person["checklist_link"] == "https://b"
    assert person["registered_on"] == day("2026-01-05")


def test_several_registrations_order_in_the_frame_does_not_matter():
    b = Responses()
    b.register(ADA, on="2026-01-20", name="Ada King", link="https://b")
    b.register(ADA, on="2026-01-05", name="Ada Lovelace", link="https://a")
    recon = run(b)
    person = recon.participants.loc[ADA]
    assert person["full_name"] == "Ada King"
    assert person["checklist_link"] == "https://b"
    assert done_on(recon, ADA, "T1.register") == day("2026-01-05")


def test_display_name_is_preferred_name_else_first_word_of_full_name():
    b = Responses()
    b.register(ADA, name="Ada Lovelace", preferred="Countess")
    b.register(BEN, name="  Benjamin  Franklin ", preferred="  ")
    people = run(b).participants
    assert people.loc[ADA, "display_name"] == "Countess"
    assert people.loc[BEN, "display_name"] == "Benjamin"


def test_edited_response_only_latest_version_counts_monday_became_elective():
    b = Responses()
    b.register(ADA)
    # The edit is listed first: order in the frame must not matter.
    b.log(
        ADA,
        ELECTIVE,
        "2026-01-12",
        rid="edited",
        created="2026-01-12T18:00:00Z",
        submitted="2026-01-13T18:00:00Z",
    )
    b.log(ADA, MONDAY, "2026-01-12", rid="edited")
    recon = run(b, config=dataclasses.replace(CONFIG, mondays_required=1))
    rows = activity_rows(recon, ADA)
    assert rows["response_id"].tolist() == ["edited"]
    assert rows["kind"].tolist() == ["elective"]
    assert requirement(recon, ADA, "T1.mondays")["count"] == 0
    assert done_on(recon, ADA, "T1.mondays") is None


def test_edited_response_latest_date_answer_counts():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MONDAY, "2026-01-12", rid="m1")
    b.log(ADA, MONDAY, "2026-01-19", rid="m1", submitted="2026-01-20T18:00:00Z")
    recon = run(b, config=dataclasses.replace(CONFIG, mondays_required=1))
    assert done_on(recon, ADA, "T1.mondays") == day("2026-01-19")
    assert requirement(recon, ADA, "T1.mondays")["count"] == 1


# --- Dates and time -------------------------------------------------------------


def test_activity_date_is_the_date_answer_not_the_submission_day():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="Yes", submitted="2026-01-20T18:00:00Z")
    assert done_on(run(b), ADA, "T1.fundamentals") == day("2026-01-08")


def test_activity_without_date_answer_takes_local_day_of_submission():
    # 2026-03-10T05:00Z is 22:00 on 2026-03-09 in Los Angeles (PDT, UTC-7).
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, None, full="Yes", submitted="2026-03-10T05:00:00Z")
    assert done_on(run(b), ADA, "T1.fundamentals") == day("2026-03-09")


@pytest.mark.parametrize(
    "submitted, local_day",
    [
        ("2026-01-06T07:59:00Z", "2026-01-05"),  # PST, UTC-8
        ("2026-01-06T08:00:00Z", "2026-01-06"),
        ("2026-03-10T05:00:00Z", "2026-03-09"),  # PDT, UTC-7
        ("2026-03-10T07:00:00Z", "2026-03-10"),
    ],
)
def test_form_response_is_dated_by_local_day_of_submission(submitted, local_day):
    b = Responses()
    b.register(ADA, on="2026-01-05")
    b.form(ADA, "t1_pre", submitted[:10], submitted=submitted)
    assert done_on(run(b), ADA, "T1.pre") == day(local_day)


def test_registration_date_is_local_day_of_submission():
    b = Responses()
    b.register(ADA, on="2026-01-06", submitted="2026-01-06T03:00:00Z")
    assert done_on(run(b), ADA, "T1.register") == day("2026-01-05")


def test_program_time_zone_is_a_setting():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, None, full="Yes", submitted="2026-03-10T05:00:00Z")
    config = dataclasses.replace(CONFIG, time_zone="Europe/Paris")
    assert done_on(run(b, config=config), ADA, "T1.fundamentals") == day("2026-03-10")


# --- Activities: double submissions and weekly reflections ---------------------


def test_double_submission_same_type_same_date_counts_once():
    b = Responses()
    b.register(ADA)
    first = b.log(ADA, MONDAY, "2026-01-12")
    again = b.log(ADA, MONDAY, "2026-01-12", submitted="2026-01-12T19:00:00Z")
    b.log(ADA, MONDAY, "2026-01-19")
    recon = run(b, config=dataclasses.replace(CONFIG, mondays_required=3))
    assert requirement(recon, ADA, "T1.mondays")["count"] == 2
    assert done_on(recon, ADA, "T1.mondays") is None
    rows = activity_rows(recon, ADA).set_index("response_id")
    assert bool(rows.loc[first, "counted"]) is True
    assert bool(rows.loc[again, "counted"]) is False
    assert rows.loc[again, "reason"] != ""


def test_double_submission_partial_then_full_fundamentals_same_date_counts_once():
    # A partial log corrected by a second, full-attendance log of the same day:
    # the pair counts once, so Fundamentals holds.
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="No")
    b.log(ADA, MF, "2026-01-08", full="Yes", submitted="2026-01-09T18:00:00Z")
    assert done_on(run(b), ADA, "T1.fundamentals") == day("2026-01-08")


def test_double_submission_of_an_elective_counts_once_when_staff_approve_either():
    # The same elective logged twice on one day; staff approved the second
    # response. The pair counts once.
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, ELECTIVE, "2026-02-11")
    second = b.log(ADA, ELECTIVE, "2026-02-11", submitted="2026-02-12T18:00:00Z")
    recon = run(b, decisions(elective_approvals=[second]))
    assert requirement(recon, ADA, "T2.training")["count"] == 1


def test_weekly_reflections_count_once_per_iso_week():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b)
    b.log(ADA, WEEKLY, "2026-02-10")  # Tue, ISO week 7
    b.log(ADA, WEEKLY, "2026-02-13")  # Fri, same week
    b.log(ADA, WEEKLY, "2026-02-15")  # Sun, same week
    b.log(ADA, WEEKLY, "2026-02-16")  # Mon, ISO week 8
    recon = run(b, config=dataclasses.replace(CONFIG, reflections_required=2))
    assert requirement(recon, ADA, "T2.reflections")["count"] == 2
    assert done_on(recon, ADA, "T2.reflections") == day("2026-02-16")


def test_weekly_reflection_week_is_taken_in_program_time_zone():
    # Submitted Monday 05:00 UTC without a date: it is Sunday 2026-03-15 in
    # Los Angeles, the same ISO week (11) as the reflection of 2026-03-09.
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b)
    b.log(ADA, WEEKLY, "2026-03-09")
    b.log(ADA, WEEKLY, None, submitted="2026-03-16T05:00:00Z")
    recon = run(b)
    assert requirement(recon, ADA, "T2.reflections")["count"] == 1


# --- Mentoring Fundamentals ---------------------------------------------------


def test_fundamentals_partial_attendance_is_shown_not_counted():
    b = Responses()
    b.register(ADA)
    rid = b.log(ADA, MF, "2026-01-08", full="No")
    recon = run(b)
    assert done_on(recon, ADA, "T1.fundamentals") is None
    row = activity_rows(recon, ADA).set_index("response_id").loc[rid]
    assert bool(row["counted"]) is False
    assert row["reason"] != ""
    assert bool(fact(recon, ADA, "partial_fundamentals")) is True


def test_fundamentals_unanswered_attendance_is_not_counted():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full=None)
    assert done_on(run(b), ADA, "T1.fundamentals") is None


def test_fundamentals_full_attendance_counts():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="No")
    b.log(ADA, MF, "2026-02-12", full="Yes")
    assert done_on(run(b), ADA, "T1.fundamentals") == day("2026-02-12")


def test_fundamentals_full_attendance_answer_comes_from_config():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="Oui")
    config = dataclasses.replace(CONFIG, full_attendance_yes="Oui")
    assert done_on(run(b, config=config), ADA, "T1.fundamentals") == day("2026-01-08")


def test_mf_partial_is_due_after_a_partial_attendance():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="No")
    assert events(due(run(b)), ADA) == ["mf_partial"]


def test_mf_partial_is_sent_once():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="No")
    b.log(ADA, MF, "2026-02-12", full="No")
    sent = ledger((ADA, "mf_partial", 1, "sent", "2026-01-09"))
    recon = run(b, now=noon("2026-02-13"))
    assert "mf_partial" not in events(due(recon, sent), ADA)


def test_mf_partial_is_not_due_once_fundamentals_is_done():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="No")
    b.log(ADA, MF, "2026-02-12", full="Yes")
    assert "mf_partial" not in events(due(run(b)), ADA)


def test_mf_partial_is_not_due_once_a_substitution_is_approved():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="No")
    staff = decisions(
        fundamentals_substitutions=[{"email": ADA, "approved_on": "2026-01-15"}]
    )
    assert "mf_partial" not in events(due(run(b, staff)), ADA)


def test_substitution_satisfies_fundamentals_as_of_approval_date():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"):
        b.log(ADA, MONDAY, on)
    b.form(ADA, "t1_post", "2026-02-03")
    b.form(ADA, "t1_capstone", "2026-02-04")
    staff = decisions(
        fundamentals_substitutions=[
            {"email": " Ada@Uni.edu", "approved_on": "2026-02-20"}
        ]
    )
    recon = run(b, staff)
    assert done_on(recon, ADA, "T1.fundamentals") == day("2026-02-20")
    assert done_on(recon, ADA, "T1.complete") == day("2026-02-20")
    assert "out_of_order:t1_post" in flags_of(recon, ADA)


def test_substitution_or_full_log_whichever_is_first():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="Yes")
    staff = decisions(
        fundamentals_substitutions=[{"email": ADA, "approved_on": "2026-02-20"}]
    )
    assert done_on(run(b, staff), ADA, "T1.fundamentals") == day("2026-01-08")


# --- Electives --------------------------------------------------------------------


def test_elective_counts_only_after_staff_approval():
    b = Responses()
    tier1_done(b, ADA)
    waiting = b.log(ADA, ELECTIVE, "2026-02-10")
    approved = b.log(ADA, ELECTIVE, "2026-02-11")
    recon = run(b, decisions(elective_approvals=[approved]))
    rows = activity_rows(recon, ADA).set_index("response_id")
    assert bool(rows.loc[waiting, "counted"]) is False
    assert rows.loc[waiting, "reason"] != ""
    assert bool(rows.loc[approved, "counted"]) is True
    assert requirement(recon, ADA, "T2.training")["count"] == 1


def test_electives_are_capped_at_electives_max():
    b = Responses()
    tier1_done(b, ADA)
    rids = [
        b.log(ADA, ELECTIVE, on) for on in ("2026-02-10", "2026-02-17", "2026-02-24")
    ]
    staff = decisions(elective_approvals=rids)
    recon = run(b, staff)
    assert requirement(recon, ADA, "T2.training")["count"] == 2
    counted = activity_rows(recon, ADA).set_index("response_id").loc[rids, "counted"]
    assert counted.tolist() == [True, True, False]


def test_electives_cap_comes_from_config():
    b = Responses()
    tier1_done(b, ADA)
    rids = [
        b.log(ADA, ELECTIVE, on) for on in ("2026-02-10", "2026-02-17", "2026-02-24")
    ]
    staff = decisions(elective_approvals=rids)
    one = run(b, staff, config=dataclasses.replace(CONFIG, electives_max=1))
    three = run(b, staff, config=dataclasses.replace(CONFIG, electives_max=3))
    assert requirement(one, ADA, "T2.training")["count"] == 1
    assert requirement(three, ADA, "T2.training")["count"] == 3


def test_electives_never_count_for_tier1_mondays():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="Yes")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26"):
        b.log(ADA, MONDAY, on)
    rid = b.log(ADA, ELECTIVE, "2026-01-28")
    recon = run(b, decisions(elective_approvals=[rid]))
    assert done_on(recon, ADA, "T1.mondays") is None
    assert requirement(recon, ADA, "T1.mondays")["count"] == 3
    assert "t1_post_unlocked" not in events(due(recon), ADA)


def test_approved_elective_before_tier1_complete_is_not_counted_and_flagged():
    b = Responses()
    tier1_done(b, ADA)
    rid = b.log(ADA, ELECTIVE, "2026-01-20")
    recon = run(b, decisions(elective_approvals=[rid]))
    row = activity_rows(recon, ADA).set_index("response_id").loc[rid]
    assert bool(row["counted"]) is False
    assert requirement(recon, ADA, "T2.training")["count"] == 0
    assert "t2_before_t1_complete:Elective workshop" in flags_of(recon, ADA)


# --- Tier 1 -------------------------------------------------------------------------


def test_t1_register_holds_once_a_registration_exists():
    b = Responses()
    b.register(ADA, on="2026-01-05")
    recon = run(b)
    assert done_on(recon, ADA, "T1.register") == day("2026-01-05")
    assert done_on(recon, ADA, "T1.pre") is None


def test_t1_mondays_is_met_on_the_nth_distinct_date():
    b = Responses()
    b.register(ADA)
    for on in ("2026-01-12", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"):
        b.log(ADA, MONDAY, on)
    b.log(ADA, MONDAY, "2026-02-09")
    recon = run(b)
    assert done_on(recon, ADA, "T1.mondays") == day("2026-02-02")
    assert requirement(recon, ADA, "T1.mondays")["count"] == 5


def test_t1_mondays_not_met_with_fewer_distinct_dates():
    b = Responses()
    b.register(ADA)
    for on in ("2026-01-12", "2026-01-12", "2026-01-19", "2026-01-26"):
        b.log(ADA, MONDAY, on)
    recon = run(b)
    assert done_on(recon, ADA, "T1.mondays") is None
    assert requirement(recon, ADA, "T1.mondays")["count"] == 3


def test_t1_mondays_required_comes_from_config():
    b = Responses()
    b.register(ADA)
    for on in ("2026-01-26", "2026-01-12", "2026-01-19"):
        b.log(ADA, MONDAY, on)
    recon = run(b, config=dataclasses.replace(CONFIG, mondays_required=2))
    assert done_on(recon, ADA, "T1.mondays") == day("2026-01-19")


def _unlock_history(b: Responses, post_on: str | None) -> None:
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="Yes")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"):
        b.log(ADA, MONDAY, on)
    if post_on:
        b.form(ADA, "t1_post", post_on)


def test_t1_post_unlocks_when_pre_fundamentals_and_mondays_hold():
    b = Responses()
    _unlock_history(b, post_on=None)
    recon = run(b)
    assert fact(recon, ADA, "post_unlocked") == day("2026-02-02")
    assert events(due(recon), ADA) == ["t1_post_unlocked"]


def test_t1_post_not_unlocked_without_the_pre_assessment():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="Yes")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"):
        b.log(ADA, MONDAY, on)
    recon = run(b)
    assert pd.isna(fact(recon, ADA, "post_unlocked"))
    assert "t1_post_unlocked" not in events(due(recon), ADA)


def test_t1_post_unlocked_is_not_due_once_the_post_is_done():
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    recon = run(b)
    assert "t1_post_unlocked" not in events(due(recon), ADA)
    assert done_on(recon, ADA, "T1.post") == day("2026-02-03")


def test_t1_post_unlocked_is_sent_once():
    b = Responses()
    _unlock_history(b, post_on=None)
    sent = ledger((ADA, "t1_post_unlocked", 1, "sent", "2026-02-02"))
    assert "t1_post_unlocked" not in events(due(run(b), sent), ADA)


def test_t1_post_before_its_unlock_counts_and_is_flagged():
    b = Responses()
    _unlock_history(b, post_on="2026-01-27")
    recon = run(b)
    assert done_on(recon, ADA, "T1.post") == day("2026-01-27")
    assert flags_of(recon, ADA) == ["out_of_order:t1_post"]


def test_t1_post_without_any_unlock_is_flagged():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_post", "2026-01-27")
    recon = run(b)
    assert done_on(recon, ADA, "T1.post") == day("2026-01-27")
    assert "out_of_order:t1_post" in flags_of(recon, ADA)


def test_t1_post_on_its_unlock_day_is_not_flagged():
    b = Responses()
    _unlock_history(b, post_on="2026-02-02")
    assert flags_of(run(b), ADA) == []


def test_t1_pre_after_the_first_monday_counts_and_is_flagged():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MONDAY, "2026-01-12")
    b.form(ADA, "t1_pre", "2026-01-13")
    recon = run(b)
    assert done_on(recon, ADA, "T1.pre") == day("2026-01-13")
    assert flags_of(recon, ADA) == ["out_of_order:t1_pre"]


def test_t1_pre_after_the_first_fundamentals_is_flagged():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MF, "2026-01-08", full="Yes")
    b.form(ADA, "t1_pre", "2026-01-09")
    assert flags_of(run(b), ADA) == ["out_of_order:t1_pre"]


def test_t1_pre_on_the_day_of_the_first_monday_is_not_flagged():
    b = Responses()
    b.register(ADA)
    b.log(ADA, MONDAY, "2026-01-12")
    b.form(ADA, "t1_pre", "2026-01-12")
    assert flags_of(run(b), ADA) == []


def test_t1_capstone_needs_every_required_answer():
    required = len(CONFIG.forms["t1_capstone"].required_answers)
    assert required == 6
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    partial = b.form(ADA, "t1_capstone", "2026-02-04", answered=required - 1)
    recon = run(b)
    assert done_on(recon, ADA, "T1.capstone") is None
    row = activity_rows(recon, ADA).set_index("response_id").loc[partial]
    assert bool(row["counted"]) is False
    assert row["reason"] != ""


def test_t1_capstone_with_all_answers_counts():
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    b.form(ADA, "t1_capstone", "2026-02-04", answered=5)
    b.form(ADA, "t1_capstone", "2026-02-06", answered=6)
    assert done_on(run(b), ADA, "T1.capstone") == day("2026-02-06")


def test_t1_capstone_unlocked_is_due_once_the_post_holds():
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    recon = run(b)
    assert events(due(recon), ADA) == ["t1_capstone_unlocked"]
    sent = ledger((ADA, "t1_capstone_unlocked", 1, "sent", "2026-02-03"))
    assert "t1_capstone_unlocked" not in events(due(recon, sent), ADA)


def test_t1_capstone_unlocked_is_not_due_once_the_capstone_is_done():
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    b.form(ADA, "t1_capstone", "2026-02-04")
    assert "t1_capstone_unlocked" not in events(due(run(b)), ADA)


def test_t1_complete_on_the_day_the_last_requirement_was_met():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="Yes")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26"):
        b.log(ADA, MONDAY, on)
    b.form(ADA, "t1_post", "2026-01-27")
    b.form(ADA, "t1_capstone", "2026-01-28")
    b.log(ADA, MONDAY, "2026-02-09")  # the last requirement: 4th Monday
    recon = run(b)
    assert done_on(recon, ADA, "T1.complete") == day("2026-02-09")


def test_t1_not_complete_while_a_requirement_is_open():
    b = Responses()
    _unlock_history(b, post_on="2026-02-03")
    recon = run(b)
    assert done_on(recon, ADA, "T1.complete") is None


def test_t1_complete_email_is_due_once():
    b = Responses()
    tier1_done(b, ADA)
    recon = run(b)
    assert events(due(recon), ADA) == ["t1_complete"]
    sent = ledger((ADA, "t1_complete", 1, "sent", "2026-02-04"))
    assert "t1_complete" not in events(due(recon, sent), ADA)


# --- Tier 2: before Tier 1 was complete -----------------------------------------


def test_t2_form_before_t1_complete_is_not_counted_and_flagged():
    b = Responses()
    tier1_done(b, ADA)
    rid = b.form(
        ADA, "t2_pre", "2026-02-01", mentee_name="Grace", start_date="2026-02-01"
    )
    recon = run(b)
    assert done_on(recon, ADA, "T2.pre") is None
    assert done_on(recon, ADA, "T2.mentee") is None
    row = activity_rows(recon, ADA).set_index("response_id").loc[rid]
    assert bool(row["counted"]) is False
    assert row["reason"] == "before Tier 1 was complete"
    assert flags_of(recon, ADA) == ["t2_before_t1_complete:t2_pre"]


def test_t2_log_before_t1_complete_is_flagged_with_its_activity_label():
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, COMPACT, "2026-01-30")
    recon = run(b)
    assert done_on(recon, ADA, "T2.compact") is None
    assert flags_of(recon, ADA) == ["t2_before_t1_complete:Mentoring compact"]


def test_t2_evidence_while_t1_is_open_is_not_counted():
    b = Responses()
    b.register(ADA)
    b.log(ADA, OUTLINE, "2026-01-30")
    recon = run(b)
    assert done_on(recon, ADA, "T2.outline") is None
    assert flags_of(recon, ADA) == ["t2_before_t1_complete:Check-in outline"]


def test_t2_evidence_dated_on_the_t1_completion_day_counts():
    # RULES.md: "evidence dated on or after that date counts".
    b = Responses()
    t1 = tier1_done(b, ADA)
    day_of = t1.date().isoformat()
    b.form(ADA, "t2_pre", day_of, mentee_name="Grace", start_date=day_of)
    b.log(ADA, COMPACT, day_of)
    recon = run(b)
    assert done_on(recon, ADA, "T2.pre") == t1
    assert done_on(recon, ADA, "T2.compact") == t1
    assert flags_of(recon, ADA) == []


def test_t2_evidence_after_t1_complete_counts_without_flag():
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, COMPACT, "2026-02-05")
    recon = run(b)
    assert done_on(recon, ADA, "T2.compact") == day("2026-02-05")
    assert flags_of(recon, ADA) == []


def test_mondays_on_or_before_t1_completion_belong_to_tier1_only():
    b = Responses()
    t1 = tier1_done(b, ADA)  # Mondays 01-12 .. 02-02, complete 02-04
    b.log(ADA, MONDAY, "2026-02-04")  # on the completion day: Tier 1
    b.log(ADA, MONDAY, "2026-02-09")  # after: Tier 2
    recon = run(b)
    assert done_on(recon, ADA, "T1.complete") == t1
    assert requirement(recon, ADA, "T1.mondays")["count"] == 5
    assert requirement(recon, ADA, "T2.training")["count"] == 1
    tiers = activity_rows(recon, ADA).set_index("date").query("kind == 'monday'")
    assert tiers.loc[day("2026-02-04"), "tier"] == "Tier 1"
    assert tiers.loc[day("2026-02-09"), "tier"] == "Tier 2"
    assert flags_of(recon, ADA) == []


def test_extra_mondays_before_t1_completion_do_not_count_for_training():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-06")
    b.log(ADA, MF, "2026-01-08", full="Yes")
    for on in ("2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"):
        b.log(ADA, MONDAY, on)
    b.log(ADA, MONDAY, "2026-02-09")
    b.log(ADA, MONDAY, "2026-02-16")
    b.form(ADA, "t1_post", "2026-02-17")
    b.form(ADA, "t1_capstone", "2026-02-18")
    b.log(ADA, MONDAY, "2026-02-23")
    recon = run(b, config=dataclasses.replace(CONFIG, training_sessions_required=1))
    assert requirement(recon, ADA, "T2.training")["count"] == 1
    assert done_on(recon, ADA, "T2.training") is None  # 2 Mondays still needed


# --- Tier 2 requirements ----------------------------------------------------------


def test_t2_mentee_needs_a_mentee_name_and_a_start_date():
    b = Responses()
    tier1_done(b, ADA)
    b.form(ADA, "t2_pre", "2026-02-09", mentee_name="Grace")
    recon = run(b)
    assert done_on(recon, ADA, "T2.pre") == day("2026-02-09")
    assert done_on(recon, ADA, "T2.mentee") is None
    b.form(ADA, "t2_pre", "2026-02-12", mentee_name="Grace", start_date="2026-02-09")
    assert done_on(run(b), ADA, "T2.mentee") == day("2026-02-12")


def test_mentoring_start_date_is_from_the_latest_counted_t2_pre():
    b = Responses()
    tier1_done(b, ADA)
    b.form(ADA, "t2_pre", "2026-02-09", mentee_name="Grace", start_date="2026-02-09")
    b.form(ADA, "t2_pre", "2026-02-20", mentee_name="Alan", start_date="2026-02-16")
    early = b.log(ADA, WEEKLY, "2026-02-10")
    late = b.log(ADA, WEEKLY, "2026-02-17")
    recon = run(b)
    assert fact(recon, ADA, "mentoring_start") == day("2026-02-16")
    rows = activity_rows(recon, ADA).set_index("response_id")
    assert bool(rows.loc[early, "counted"]) is False
    assert bool(rows.loc[late, "counted"]) is True
    assert done_on(recon, ADA, "T2.pre") == day("2026-02-09")


def test_mentoring_start_date_ignores_a_t2_pre_that_did_not_count():
    b = Responses()
    tier1_done(b, ADA)
    b.form(ADA, "t2_pre", "2026-02-01", mentee_name="Grace", start_date="2026-01-20")
    rid = b.log(ADA, WEEKLY, "2026-02-10")
    recon = run(b)
    assert pd.isna(fact(recon, ADA, "mentoring_start"))
    assert (
        bool(activity_rows(recon, ADA).set_index("response_id").loc[rid, "counted"])
        is False
    )


def test_t2_compact_and_outline_need_their_logs():
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, COMPACT, "2026-02-10")
    recon = run(b)
    assert done_on(recon, ADA, "T2.compact") == day("2026-02-10")
    assert done_on(recon, ADA, "T2.outline") is None
    b.log(ADA, OUTLINE, "2026-02-11")
    assert done_on(run(b), ADA, "T2.outline") == day("2026-02-11")


def _reflections(b: Responses, first: str, weeks: int) -> list[str]:
    start = day(first)
    return [
        b.log(ADA, WEEKLY, (start + pd.Timedelta(weeks=w)).date().isoformat())
        for w in range(weeks)
    ]


def test_t2_reflections_need_six_distinct_weeks_on_or_after_start():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b, on="2026-02-16")
    before = b.log(ADA, WEEKLY, "2026-02-13")  # before the start date
    _reflections(b, "2026-02-17", 5)
    recon = run(b)
    assert requirement(recon, ADA, "T2.reflections")["count"] == 5
    assert done_on(recon, ADA, "T2.reflections") is None
    row = activity_rows(recon, ADA).set_index("response_id").loc[before]
    assert bool(row["counted"]) is False
    b.log(ADA, WEEKLY, "2026-03-24")
    recon = run(b)
    assert requirement(recon, ADA, "T2.reflections")["count"] == 6
    assert done_on(recon, ADA, "T2.reflections") == day("2026-03-24")


def test_t2_reflection_on_the_start_date_counts():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b, on="2026-02-16")
    b.log(ADA, WEEKLY, "2026-02-16")
    recon = run(b, config=dataclasses.replace(CONFIG, reflections_required=1))
    assert done_on(recon, ADA, "T2.reflections") == day("2026-02-16")


def test_t2_reflections_required_comes_from_config():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b)
    _reflections(b, "2026-02-10", 3)
    recon = run(b, config=dataclasses.replace(CONFIG, reflections_required=2))
    assert done_on(recon, ADA, "T2.reflections") == day("2026-02-17")


def test_t2_training_counts_mondays_and_approved_electives():
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, MONDAY, "2026-02-09")
    e1 = b.log(ADA, ELECTIVE, "2026-02-11")
    e2 = b.log(ADA, ELECTIVE, "2026-02-13")
    b.log(ADA, MONDAY, "2026-02-16")
    recon = run(b, decisions(elective_approvals=[e1, e2]))
    assert requirement(recon, ADA, "T2.training")["count"] == 4
    assert done_on(recon, ADA, "T2.training") == day("2026-02-16")


def test_t2_training_needs_the_minimum_number_of_mondays():
    b = Responses()
    tier1_done(b, ADA)
    b.log(ADA, MONDAY, "2026-02-09")
    rids = [
        b.log(ADA, ELECTIVE, on) for on in ("2026-02-10", "2026-02-11", "2026-02-12")
    ]
    staff = decisions(elective_approvals=rids)
    three = dataclasses.replace(CONFIG, electives_max=3)
    recon = run(b, staff, config=three)
    assert requirement(recon, ADA, "T2.training")["count"] == 4
    assert done_on(recon, ADA, "T2.training") is None
    one_monday = dataclasses.replace(three, training_mondays_required=1)
    assert done_on(run(b, staff, config=one_monday), ADA, "T2.training") == day(
        "2026-02-12"
    )


def test_t2_training_sessions_required_comes_from_config():
    b = Responses()
    tier1_done(b, ADA)
    for on in ("2026-02-09", "2026-02-16", "2026-02-23"):
        b.log(ADA, MONDAY, on)
    assert done_on(run(b), ADA, "T2.training") is None
    config = dataclasses.replace(CONFIG, training_sessions_required=2)
    assert done_on(run(b, config=config), ADA, "T2.training") == day("2026-02-16")


@pytest.mark.parametrize(
    "last_reflection, met",
    [("2026-04-19", None), ("2026-04-20", "2026-04-20")],
)
def test_t2_period_needs_70_days_from_start_to_latest_reflection(last_reflection, met):
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b, on="2026-02-09")  # + 70 days = 2026-04-20
    b.log(ADA, WEEKLY, "2026-02-10")
    b.log(ADA, WEEKLY, last_reflection)
    recon = run(b)
    expected = None if met is None else day(met)
    assert done_on(recon, ADA, "T2.period") == expected


def test_t2_period_days_come_from_config():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b, on="2026-02-09")
    b.log(ADA, WEEKLY, "2026-02-16")
    b.log(ADA, WEEKLY, "2026-02-23")
    config = dataclasses.replace(CONFIG, mentoring_days_required=14)
    assert done_on(run(b, config=config), ADA, "T2.period") == day("2026-02-23")


def test_t2_post_needs_a_t2_post_response():
    b = Responses()
    tier1_done(b, ADA)
    assert done_on(run(b), ADA, "T2.post") is None
    b.form(ADA, "t2_post", "2026-04-01")
    assert done_on(run(b), ADA, "T2.post") == day("2026-04-01")


def _ready_history(b: Responses, feedback_on: str | None = "2026-03-20") -> None:
    """Tier 1, a mentee from 02-09, a compact and 6 weekly reflections (03-17)."""
    tier1_done(b, ADA)
    with_mentee(b)
    b.log(ADA, COMPACT, "2026-02-10")
    _reflections(b, "2026-02-10", 6)
    if feedback_on:
        b.form(ADA, "coaching_feedback", feedback_on)


def test_coaching_is_ready_with_feedback_compact_and_reflections():
    b = Responses()
    _ready_history(b)
    recon = run(b)
    assert fact(recon, ADA, "coaching_ready") == day("2026-03-20")
    assert "t2_coaching_ready" in events(due(recon), ADA)


def test_coaching_is_not_ready_without_the_feedback_form():
    b = Responses()
    _ready_history(b, feedback_on=None)
    recon = run(b)
    assert pd.isna(fact(recon, ADA, "coaching_ready"))
    assert "t2_coaching_ready" not in events(due(recon), ADA)


def test_coaching_is_not_ready_without_the_weekly_reflections():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b)
    b.log(ADA, COMPACT, "2026-02-10")
    _reflections(b, "2026-02-10", 5)
    b.form(ADA, "coaching_feedback", "2026-03-20")
    assert "t2_coaching_ready" not in events(due(run(b)), ADA)


def test_coaching_ready_is_sent_once_and_not_after_the_session():
    b = Responses()
    _ready_history(b)
    sent = ledger((ADA, "t2_coaching_ready", 1, "sent", "2026-03-20"))
    assert "t2_coaching_ready" not in events(due(run(b), sent), ADA)
    b.log(ADA, COACHING, "2026-03-30")
    recon = run(b)
    assert done_on(recon, ADA, "T2.coaching") == day("2026-03-30")
    assert "t2_coaching_ready" not in events(due(recon), ADA)
    assert "out_of_order:coaching" not in flags_of(recon, ADA)


def test_coaching_before_it_was_ready_counts_and_is_flagged():
    b = Responses()
    _ready_history(b)
    b.log(ADA, COACHING, "2026-03-05")
    recon = run(b)
    assert done_on(recon, ADA, "T2.coaching") == day("2026-03-05")
    assert flags_of(recon, ADA) == ["out_of_order:coaching"]


def test_t2_portfolio_needs_a_file_for_each_document():
    required = len(CONFIG.forms["t2_portfolio"].required_files)
    assert required == 3
    b = Responses()
    tier1_done(b, ADA)
    rid = b.form(ADA, "t2_portfolio", "2026-04-20", files=required - 1)
    recon = run(b)
    assert done_on(recon, ADA, "T2.portfolio") is None
    assert (
        bool(activity_rows(recon, ADA).set_index("response_id").loc[rid, "counted"])
        is False
    )
    b.form(ADA, "t2_portfolio", "2026-04-22", files=required)
    assert done_on(run(b), ADA, "T2.portfolio") == day("2026-04-22")


def test_t2_complete_on_the_day_the_last_requirement_was_met():
    b = Responses()
    t2 = tier2_done(b, ADA)
    recon = run(b)
    assert t2 == day("2026-04-23")
    assert done_on(recon, ADA, "T2.complete") == t2
    assert flags_of(recon, ADA) == []


def test_t2_not_complete_while_a_requirement_is_open():
    b = Responses()
    tier2_done(b, ADA)
    b.rows = [r for r in b.rows if r["form"] != "t2_post"]
    recon = run(b)
    assert done_on(recon, ADA, "T2.post") is None
    assert done_on(recon, ADA, "T2.complete") is None
    assert "t2_complete" not in events(due(recon), ADA)


def test_t2_complete_email_is_due_once():
    b = Responses()
    tier2_done(b, ADA)
    recon = run(b)
    assert "t2_complete" in events(due(recon), ADA)
    sent = ledger(
        (ADA, "t1_complete", 1, "sent", "2026-02-04"),
        (ADA, "t2_complete", 1, "sent", "2026-04-23"),
    )
    assert events(due(recon, sent), ADA) == []


# --- Confidential mentee assessment ---------------------------------------------


def test_mentee_assessment_is_never_an_activity_even_of_a_participant():
    b = Responses()
    b.register(ADA)
    b.register(BEN, name="Ben Franklin")
    rid = b.form(BEN, "mentee_assessment", "2026-03-01", mentor_email=ADA)
    recon = run(b)
    assert rid not in recon.activities["response_id"].tolist()
    assert "mentee_assessment" not in recon.activities["form"].tolist()
    assert recon.unmatched.empty
    assert rid not in recon.problems["response_id"].tolist()
    assert fact(recon, BEN, "last_activity") == day("2026-01-05")


def test_mentee_assessment_from_a_non_participant_is_not_unmatched():
    b = Responses()
    b.register(ADA)
    b.form("mentee@uni.edu", "mentee_assessment", "2026-03-01", mentor_email=ADA)
    b.form(None, "mentee_assessment", "2026-03-02", mentor_email=ADA)
    recon = run(b)
    assert recon.unmatched.empty
    assert "mentee_assessment" not in recon.problems["form"].tolist()
    assert "mentee_assessment" not in recon.activities["form"].tolist()


def test_mentee_assessment_does_not_reset_the_reminder_clock():
    b = Responses()
    b.register(ADA)
    b.register(BEN, name="Ben Franklin")
    b.form(ADA, "t1_pre", "2026-01-06")
    b.form(BEN, "t1_pre", "2026-01-06")
    b.form(BEN, "mentee_assessment", "2026-02-10", mentor_email=ADA)
    sent = ledger(
        (ADA, "welcome", 1, "sent", "2026-01-05"),
        (BEN, "welcome", 1, "sent", "2026-01-05"),
    )
    recon = run(b, now=noon("2026-02-17"))
    assert events(due(recon, sent), BEN) == ["reminder"]


# --- Emails -----------------------------------------------------------------------


def test_welcome_is_due_on_registration():
    b = Responses()
    b.register(ADA)
    assert events(due(run(b, now=noon("2026-01-05"))), ADA) == ["welcome"]


def test_welcome_is_not_due_once_the_pre_assessment_is_done():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-05")
    assert "welcome" not in events(due(run(b, now=noon("2026-01-05"))), ADA)


def test_welcome_is_sent_once():
    b = Responses()
    b.register(ADA)
    sent = ledger((ADA, "welcome", 1, "sent", "2026-01-05"))
    assert events(due(run(b, now=noon("2026-01-06")), sent), ADA) == []


def test_an_email_being_sent_is_not_due_again():
    b = Responses()
    b.register(ADA)
    sending = ledger((ADA, "welcome", 1, "sending", "2026-01-05"))
    assert events(due(run(b, now=noon("2026-01-06")), sending), ADA) == []


def test_checklist_unreachable_is_due_when_the_checklist_cannot_be_opened():
    b = Responses()
    b.register(ADA)
    b.form(ADA, "t1_pre", "2026-01-05")
    recon = run(b, now=noon("2026-01-05"))
    assert events(due(recon, outcomes={ADA: "unreachable"}), ADA) == [
        "checklist_unreachable"
    ]
    assert events(due(recon), ADA) == []
    sent = ledger((ADA, "checklist_unreachable", 1, "sent", "2026-01-05"))
    assert events(due(recon, sent, outcomes={ADA: "unreachable"}), ADA) == []


def test_each_email_goes_to_its_own_participant():
    b = Responses()
    b.register(ADA)
    b.register(BEN, name="Ben Franklin")
    b.form(BEN, "t1_pre", "2026-01-05")
    b.log(BEN, MF, "2026-01-05", full="No")
    emails = due(run(b, now=noon("2026-01-05")))
    assert events(emails, ADA) == ["welcome"]
    assert events(emails, BEN) == ["mf_partial"]
    assert emails["seq"].tolist() == [1, 1]


def test_withdrawn_participant_gets_no_email():
    b = Responses()
    tier1_done(b, ADA)
    b.register(BEN, name="Ben Franklin")
    b.log(BEN, MF, "2026-01-08", full="No")
    staff = decisions(withdrawn=["ADA@uni.edu ", BEN])
    recon = run(b, staff, now=noon("2026-12-01"))
    assert bool(recon.participants.loc[ADA, "withdrawn"]) is True
    emails = due(recon, outcomes={ADA: "unreachable", BEN: "unreachable"})
    assert emails.empty


# --- Reminders ----------------------------------------------------------------------


def _idle_since_jan6(b: Responses) -> None:
    """Registered 01-05 (welcome sent), pre-assessment 01-06, then nothing."""
    b.register(ADA, on="2026-01-05")
    b.form(ADA, "t1_pre", "2026-01-06")


WELCOME_SENT = (ADA, "welcome", 1, "sent", "2026-01-05")


@pytest.mark.parametrize(
    "today, expected",
    [("2026-02-16", []), ("2026-02-17", ["reminder"]), ("2026-03-30", ["reminder"])],
)
def test_reminder_after_42_days_boundary_inclusive(today, expected):
    b = Responses()
    _idle_since_jan6(b)  # 2026-01-06 + 42 days = 2026-02-17
    emails = due(run(b, now=noon(today)), ledger(WELCOME_SENT))
    assert events(emails, ADA) == expected
    if expected:
        assert emails["seq"].tolist() == [1]


def test_reminder_days_come_from_config():
    b = Responses()
    _idle_since_jan6(b)
    config = dataclasses.replace(CONFIG, reminder_after_days=7)
    recon = run(b, config=config, now=noon("2026-01-13"))
    assert events(due(recon, ledger(WELCOME_SENT), config=config), ADA) == ["reminder"]


def test_reminder_counts_from_the_last_email_sent():
    b = Responses()
    _idle_since_jan6(b)
    sent = ledger(WELCOME_SENT, (ADA, "checklist_unreachable", 1, "sent", "2026-02-01"))
    assert events(due(run(b, now=noon("2026-03-14")), sent), ADA) == []
    assert events(due(run(b, now=noon("2026-03-15")), sent), ADA) == ["reminder"]


def test_reminder_counts_from_the_last_submission_even_of_an_older_activity():
    b = Responses()
    _idle_since_jan6(b)
    b.log(ADA, MONDAY, "2026-01-12", submitted="2026-02-10T18:00:00Z")
    sent = ledger(WELCOME_SENT)
    assert events(due(run(b, now=noon("2026-03-23")), sent), ADA) == []
    assert events(due(run(b, now=noon("2026-03-24")), sent), ADA) == ["reminder"]


def test_reminder_counts_from_the_last_activity_date():
    b = Responses()
    _idle_since_jan6(b)
    b.log(ADA, MONDAY, "2026-02-09")
    sent = ledger(WELCOME_SENT)
    assert events(due(run(b, now=noon("2026-03-22")), sent), ADA) == []
    assert events(due(run(b, now=noon("2026-03-23")), sent), ADA) == ["reminder"]


def test_reminders_are_numbered_and_capped_at_max_total():
    b = Responses()
    _idle_since_jan6(b)
    two = ledger(
        WELCOME_SENT,
        (ADA, "reminder", 1, "sent", "2026-02-17"),
        (ADA, "reminder", 2, "sent", "2026-03-31"),
    )
    later = noon("2026-06-01")
    emails = due(run(b, now=later), two)
    assert events(emails, ADA) == ["reminder"]
    assert emails["seq"].tolist() == [3]
    three = ledger(
        *two.itertuples(index=False), (ADA, "reminder", 3, "sent", "2026-05-12")
    )
    assert events(due(run(b, now=noon("2026-08-01")), three), ADA) == []


def test_reminder_max_total_comes_from_config():
    b = Responses()
    _idle_since_jan6(b)
    sent = ledger(WELCOME_SENT, (ADA, "reminder", 1, "sent", "2026-02-17"))
    config = dataclasses.replace(CONFIG, reminder_max_total=1)
    recon = run(b, config=config, now=noon("2026-06-01"))
    assert events(due(recon, sent, config=config), ADA) == []


def test_reminder_never_goes_with_another_email_in_the_same_run():
    b = Responses()
    _unlock_history(b, post_on=None)  # last activity 2026-02-02
    sent = ledger(WELCOME_SENT)
    emails = due(run(b, now=noon("2026-06-01")), sent)
    assert events(emails, ADA) == ["t1_post_unlocked"]


def test_reminder_not_due_when_registered_only_gets_welcome_instead():
    b = Responses()
    b.register(ADA, on="2026-01-05")
    assert events(due(run(b, now=noon("2026-06-01"))), ADA) == ["welcome"]


def test_reminder_not_due_when_tier1_is_complete_and_tier2_not_started():
    b = Responses()
    tier1_done(b, ADA)
    sent = ledger(WELCOME_SENT, (ADA, "t1_complete", 1, "sent", "2026-02-04"))
    assert events(due(run(b, now=noon("2026-06-01")), sent), ADA) == []


def test_reminder_due_while_tier2_is_in_progress():
    b = Responses()
    tier1_done(b, ADA)
    with_mentee(b)
    sent = ledger(WELCOME_SENT, (ADA, "t1_complete", 1, "sent", "2026-02-04"))
    assert events(due(run(b, now=noon("2026-03-23")), sent), ADA) == ["reminder"]
    assert events(due(run(b, now=noon("2026-03-22")), sent), ADA) == []


def test_reminder_not_due_when_tier2_is_complete():
    b = Responses()
    tier2_done(b, ADA)
    sent = ledger(
        WELCOME_SENT,
        (ADA, "t1_complete", 1, "sent", "2026-02-04"),
        (ADA, "t2_complete", 1, "sent", "2026-04-23"),
    )
    assert events(due(run(b, now=noon("2026-12-01")), sent), ADA) == []


def test_withdrawn_participant_gets_no_reminder():
    b = Responses()
    _idle_since_jan6(b)
    recon = run(b, decisions(withdrawn=[ADA]), now=noon("2026-06-01"))
    assert due(recon, ledger(WELCOME_SENT)).empty


def test_run_is_repeatable_for_the_same_now():
    b = Responses()
    tier2_done(b, ADA)
    first = run(b, now=noon("2026-05-01"))
    second = run(b, now=noon("2026-05-01"))
    pd.testing.assert_frame_equal(first.progress, second.progress)
    pd.testing.assert_frame_equal(due(first), due(second))


def test_the_mentoring_period_runs_to_the_latest_reflection_of_its_week():
    # Start 2026-02-11; reflections weekly, and in the tenth week a Monday on
    # day 68 and a Friday on day 72: the period is met on the Friday.
    b = Responses()
    tier1_done(b, ADA)
    b.form(ADA, "t2_pre", "2026-02-11", mentee_name="M", start_date="2026-02-11")
    for on in ["2026-02-11", "2026-02-18", "2026-02-25", "2026-03-04", "2026-03-11"]:
        b.log(ADA, "Weekly mentoring reflection", on)
    for on in ["2026-03-18", "2026-03-25", "2026-04-01", "2026-04-08", "2026-04-15"]:
        b.log(ADA, "Weekly mentoring reflection", on)
    b.log(ADA, "Weekly mentoring reflection", "2026-04-20")
    b.log(ADA, "Weekly mentoring reflection", "2026-04-24")
    recon = run(b)
    assert done_on(recon, ADA, "T2.period") == day("2026-04-24")


def test_a_start_date_that_is_not_a_date_sets_no_start_and_is_reported():
    b = Responses()
    tier1_done(b, ADA)
    rid = b.form(ADA, "t2_pre", "2026-02-11", mentee_name="M", start_date="soon")
    recon = run(b)
    assert done_on(recon, ADA, "T2.pre") == day("2026-02-11")
    assert done_on(recon, ADA, "T2.mentee") is None
    problem = recon.problems[recon.problems["response_id"] == rid].iloc[0]
    assert problem["field"] == "Mentoring start date"
    assert "not a date" in problem["problem"]
