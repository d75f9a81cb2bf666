"""The rules of RULES.md, applied to all responses at once.

Pure pandas: frames in, frames out, no I/O and no per-response Python loops.
The flow is:

    responses -> identity -> activity table (counted / reason)
              -> per-participant facts (the date each requirement was met)
              -> progress table, flags, unmatched

Dates are local calendar days in the program's time zone, held as
``datetime64`` at midnight so that they compare and subtract in bulk.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmc_sync.config import (
    COUNTED_REQUIREMENTS,
    REQUIREMENTS,
    REQUIREMENTS_T1,
    REQUIREMENTS_T2,
    Config,
)
from pmc_sync.decisions import StaffDecisions
from pmc_sync.mail import BIDI_MARKS

ACTIVITY_COLUMNS = [
    "participant",
    "form",
    "kind",
    "label",
    "date",
    "response_id",
    "submitted",
    "counted",
    "reason",
    "tier",
]
AWAITING_APPROVAL = "awaiting staff approval"
PARTIAL_ATTENDANCE = "not both days of the workshop"
T2_FORMS = ("t2_pre", "t2_post", "coaching_feedback", "t2_portfolio")
T2_LOGS = ("elective", "weekly_reflection", "compact", "outline", "coaching")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Kept out of names: control characters (become spaces) and
# bidirectional-text marks (dropped, so they cannot reorder what follows).
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_BIDI = BIDI_MARKS.pattern
_MISSING = pd.NaT

# Facts: the date each requirement was met, by participant.
REQUIREMENT_FACT = {
    "T1.register": "registered_on",
    "T1.pre": "pre",
    "T1.fundamentals": "fundamentals",
    "T1.mondays": "mondays",
    "T1.post": "post",
    "T1.capstone": "capstone",
    "T1.complete": "t1_complete",
    "T2.mentee": "mentee",
    "T2.pre": "t2_pre",
    "T2.compact": "compact",
    "T2.outline": "outline",
    "T2.reflections": "reflections",
    "T2.training": "training",
    "T2.period": "period",
    "T2.post": "t2_post",
    "T2.coaching": "coaching",
    "T2.portfolio": "portfolio",
    "T2.complete": "t2_complete",
}
_COUNT_FACT = {
    "T1.mondays": "mondays_count",
    "T2.reflections": "reflection_weeks",
    "T2.training": "training_count",
}


@dataclass
class Reconciliation:
    """What the rules conclude from one set of responses."""

    participants: pd.DataFrame  # index participant
    activities: pd.DataFrame  # ACTIVITY_COLUMNS
    facts: pd.DataFrame  # index participant, one date column per fact
    progress: pd.DataFrame  # participant, requirement, done, completed_on, count
    flags: pd.DataFrame  # participant, flag, response_id, date
    unmatched: pd.DataFrame  # email, form, response_id, submitted
    problems: pd.DataFrame  # form, response_id, field, problem


def parse_date_answers(
    answers: pd.Series, submitted_day: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Read date answers; return (dates, problem text or "").

    ``YYYY-MM-DD`` (with or without a time after it) is read as given. A date
    question without a year (``MM-DD``) takes the year that puts it on or
    before the submission day. Blank answers take the submission day.
    """
    text = answers.astype("object").where(answers.map(lambda v: isinstance(v, str)))
    text = text.fillna("").str.strip()
    full = text.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ].*)?$")[0]
    parsed = pd.to_datetime(full, format="%Y-%m-%d", errors="coerce")
    yearless = text.str.extract(r"^(\d{1,2})-(\d{1,2})$")
    year = submitted_day.dt.year
    guess = pd.to_datetime(
        year.astype("Int64").astype(str) + "-" + yearless[0] + "-" + yearless[1],
        format="%Y-%m-%d",
        errors="coerce",
    )
    later = guess > submitted_day
    guess = guess.where(~later, guess - pd.DateOffset(years=1))
    parsed = parsed.fillna(guess)
    blank = text.eq("")
    problem = pd.Series("", index=answers.index, dtype="object")
    problem[~blank & parsed.isna()] = (
        "not a date (expected YYYY-MM-DD); used the day it was submitted"
    )
    problem[yearless[0].notna() & guess.notna()] = (
        "date without a year; took the year it was submitted"
    )
    dates = parsed.fillna(submitted_day)
    return dates, problem


def _identity(
    responses: pd.DataFrame, decisions: StaffDecisions
) -> tuple[pd.Series, pd.Series]:
    """The participant key of each response, and whether the address is valid."""
    email = responses["respondent_email"].astype("object")
    email = email.where(email.map(lambda v: isinstance(v, str)), "")
    email = email.str.strip().str.strip(".").str.lower()
    valid = email.str.match(_EMAIL).fillna(False).astype(bool)
    key = email.map(lambda e: decisions.aliases.get(e, e))
    return key, valid


def _registrations(regs: pd.DataFrame, decisions: StaffDecisions) -> pd.DataFrame:
    regs = regs.sort_values("_order")
    fields = ["full_name", "preferred_name", "department", "checklist_link"]
    cleaned = regs[["participant", *fields]].copy()
    for name in fields:
        column = cleaned[name].astype("object")
        column = column.where(column.map(lambda v: isinstance(v, str)))
        column = column.str.replace(_BIDI, "", regex=True)
        column = column.str.replace(_CONTROL, " ", regex=True)
        column = column.str.split().str.join(" ")
        cleaned[name] = column.replace("", np.nan)
    grouped = cleaned.groupby("participant", sort=True)
    people = grouped[fields].last()
    people["registered_on"] = regs.groupby("participant")["created_day"].min()
    people["registration_response"] = regs.groupby("participant")["response_id"].first()
    first_word = people["full_name"].fillna("").str.split().str[0]
    people["display_name"] = people["preferred_name"].fillna(first_word).fillna("")
    people["withdrawn"] = people.index.isin(decisions.withdrawn)
    copies = pd.Series(decisions.checklists, dtype="object")
    people["checklist_link"] = copies.reindex(people.index).fillna(
        people["checklist_link"]
    )
    people.index.name = "participant"
    return people


def _nth_date(rows: pd.DataFrame, n: int, by: str = "date") -> pd.Series:
    """Per participant, the date of the n-th row in date order (NaT if fewer)."""
    if n <= 0:
        return rows.groupby("participant")[by].min()
    ordered = rows.sort_values([by, "_order"])
    rank = ordered.groupby("participant").cumcount() + 1
    return ordered[rank == n].set_index("participant")[by]


def _per_row(rows: pd.DataFrame, by_participant: pd.Series) -> pd.Series:
    """A participant's value on each of their rows (a map that keeps dtypes
    even when there are no rows)."""
    values = by_participant.reindex(rows["participant"]).to_numpy()
    return pd.Series(values, index=rows.index, dtype=by_participant.dtype)


def _first(rows: pd.DataFrame, mask: pd.Series) -> pd.Series:
    return rows[mask].groupby("participant")["date"].min()


def reconcile(
    responses: pd.DataFrame,
    decisions: StaffDecisions,
    config: Config,
    now: dt.datetime,
) -> Reconciliation:
    """Apply every rule of RULES.md to the responses of all forms."""
    data = _latest_versions(responses, config)
    data["participant"], data["valid_email"] = _identity(data, decisions)
    problems = [_problems_for_invalid_email(data)]

    is_registration = data["form"] == "registration"
    regs = data[is_registration & data["valid_email"]]
    people = _registrations(regs, decisions)
    problems.append(_repeat_registrations(regs))
    problems.append(_decision_problems(decisions, people, data))

    matched = data["participant"].isin(people.index) & data["valid_email"]
    unmatched = data[
        ~matched & ~data["response_id"].isin(decisions.dismissed_unmatched)
    ]
    unmatched = pd.DataFrame(
        {
            "email": unmatched["participant"],
            "form": unmatched["form"],
            "response_id": unmatched["response_id"],
            "submitted": unmatched["last_submitted"],
        }
    ).reset_index(drop=True)

    activities, date_problems = _activity_table(
        data[matched & ~is_registration], config
    )
    problems.append(date_problems)
    today = pd.Timestamp(now.astimezone(config.tz).date())
    facts, activities, flags, rule_problems = _apply_rules(
        activities, people, decisions, config
    )
    problems.append(rule_problems)
    pairs = pd.MultiIndex.from_arrays([flags["participant"], flags["flag"]])
    flags["acknowledged"] = pairs.isin(list(decisions.acknowledged_flags))
    facts["last_activity"] = _last_activity(data[matched], activities)
    facts["today"] = today
    problems.append(_suspicious_dates(activities, config, today))
    return Reconciliation(
        participants=people,
        activities=activities.reset_index(drop=True),
        facts=facts,
        progress=progress_table(facts),
        flags=flags.reset_index(drop=True),
        unmatched=unmatched,
        problems=pd.concat(problems, ignore_index=True),
    )


def _latest_versions(responses: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Drop confidential forms; keep the last submitted version of each response.

    Adds ``submitted`` (UTC timestamp), ``day`` (its local date) and
    ``created_day`` (the local date the response was first submitted).
    """
    confidential = [k for k, m in config.forms.items() if m.confidential]
    data = responses[~responses["form"].isin(confidential)].copy()
    created = pd.to_datetime(
        data["create_time"], utc=True, format="ISO8601", errors="coerce"
    )
    submitted = pd.to_datetime(
        data["last_submitted"], utc=True, format="ISO8601", errors="coerce"
    )
    data["submitted"] = submitted.fillna(created)
    # One sort by (time, id) gives every response its place, "_order": every
    # later "first" or "latest" is by _order, so ties never depend on input.
    data = data.sort_values(["submitted", "response_id"], kind="stable")
    data = data.drop_duplicates(["form", "response_id"], keep="last")
    data["_order"] = np.arange(len(data))
    local = data["submitted"].dt.tz_convert(config.time_zone).dt.tz_localize(None)
    data["day"] = local.dt.normalize()
    first = created.loc[data.index].fillna(data["submitted"])
    data["created_day"] = (
        first.dt.tz_convert(config.time_zone).dt.tz_localize(None).dt.normalize()
    )
    return data


def _repeat_registrations(regs: pd.DataFrame) -> pd.DataFrame:
    ordered = regs.sort_values("_order")
    again = ordered[ordered.duplicated("participant")]
    return pd.DataFrame(
        {
            "form": "registration",
            "response_id": again["response_id"],
            "field": "email",
            "problem": "registered again: the latest non-blank answers are used",
        }
    )


def _decision_problems(
    decisions: StaffDecisions, people: pd.DataFrame, data: pd.DataFrame
) -> pd.DataFrame:
    """Staff decisions that point at nothing: reported, never fatal."""
    known_ids = set(data["response_id"])
    logs = set(data.loc[data["form"] == "reflection", "response_id"])
    rows = [
        ("Elective approvals", rid, "no response has this id")
        for rid in sorted(decisions.elective_approvals - known_ids)
    ]
    rows += [
        ("Elective approvals", rid, "this response is not an activity log")
        for rid in sorted((decisions.elective_approvals & known_ids) - logs)
    ]
    rows += [
        ("Aliases", other, f"points to {person}, who has not registered")
        for other, person in sorted(decisions.aliases.items())
        if person not in people.index
    ]
    rows += [
        ("Fundamentals substitutions", s.email, "no participant has this address")
        for s in decisions.substitutions
        if s.email not in people.index
    ]
    rows += [
        ("Withdrawn", email, "no participant has this address")
        for email in sorted(decisions.withdrawn - set(people.index))
    ]
    rows += [
        ("Dismissed unmatched", rid, "no response has this id")
        for rid in sorted(decisions.dismissed_unmatched - known_ids)
    ]
    return pd.DataFrame(
        [("staff decisions", value, tab, problem) for tab, value, problem in rows],
        columns=["form", "response_id", "field", "problem"],
    )


def _problems_for_invalid_email(data: pd.DataFrame) -> pd.DataFrame:
    bad = data[~data["valid_email"]]
    return pd.DataFrame(
        {
            "form": bad["form"],
            "response_id": bad["response_id"],
            "field": "email",
            "problem": "no usable email address: listed as unmatched for staff",
        }
    )


def _activity_table(
    logs: pd.DataFrame, config: Config
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per logged activity or form response, before counting rules."""
    labels = {m.key: m.label for m in config.forms.values()}
    is_log = logs["form"] == "reflection"
    raw_label = logs["activity"].astype("object") if "activity" in logs else None
    label = raw_label.where(is_log, logs["form"].map(labels))
    label = label.map(_answer_text)
    kind = label.map(config.activity_kind_by_label).where(is_log, logs["form"])
    date_answer = logs["date"] if "date" in logs else pd.Series(None, index=logs.index)
    date_answer = date_answer.where(is_log)
    dates, date_problem = parse_date_answers(date_answer, logs["day"])
    table = pd.DataFrame(
        {
            "participant": logs["participant"],
            "form": logs["form"],
            "kind": kind,
            "label": label.fillna("(no activity given)").astype(str),
            "date": dates,
            "response_id": logs["response_id"],
            "submitted": logs["submitted"],
            "_order": logs["_order"],
            "counted": True,
            "reason": "",
            "tier": "",
        }
    )
    for column in (
        "full_attendance",
        "answered_required",
        "files_attached",
        "mentee_name",
        "start_date",
    ):
        table[f"_{column}"] = logs[column] if column in logs else None
    unknown = table["kind"].isna()
    table.loc[unknown, "counted"] = False
    table.loc[unknown, "reason"] = "activity not in the program's list"
    table["kind"] = table["kind"].fillna("unknown")
    problems = pd.DataFrame(
        {
            "form": table["form"],
            "response_id": table["response_id"],
            "field": config.forms["reflection"].fields["date"],
            "problem": date_problem,
        }
    )
    unknown_problems = pd.DataFrame(
        {
            "form": table.loc[unknown, "form"],
            "response_id": table.loc[unknown, "response_id"],
            "field": config.forms["reflection"].fields["activity"],
            "problem": "answer "
            + table.loc[unknown, "label"].map(repr)
            + " is not one of the activities in config/forms.toml [activities]",
        }
    )
    problems = pd.concat([problems[problems["problem"] != ""], unknown_problems])
    return table, problems


def _answer_text(value: object) -> object:
    """One answer as text: several values (checkboxes) joined by "; "."""
    if isinstance(value, tuple):
        return "; ".join(v.strip() for v in value)
    return value.strip() if isinstance(value, str) else value


def _not_counted(table: pd.DataFrame, mask: pd.Series, reason: str) -> None:
    """Mark rows not counted, keeping the first reason a row was given."""
    mask = mask & table["counted"]
    table.loc[mask, "counted"] = False
    table.loc[mask, "reason"] = reason


def _nonblank(values: pd.Series) -> pd.Series:
    """True where an answer holds some text."""
    text = values.astype("object").where(values.map(lambda v: isinstance(v, str)))
    return text.fillna("").str.strip().ne("").astype(bool)


def _once_per_day(act: pd.DataFrame, kinds: list[str]) -> None:
    """Two counted logs of one activity on one date count once."""
    candidates = act[act["counted"] & act["kind"].isin(kinds)]
    repeat = candidates.duplicated(["participant", "kind", "date"], keep="first")
    _not_counted(
        act, act.index.isin(repeat[repeat].index), "already logged for this date"
    )


def _apply_rules(
    act: pd.DataFrame,
    people: pd.DataFrame,
    decisions: StaffDecisions,
    config: Config,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Mark what counts, find the date each requirement was met; also the
    flags for staff and the problems found on the way."""
    # Row order within each participant is (date, _order); groupby keeps it.
    act = act.sort_values(["date", "_order"]).copy()
    facts = pd.DataFrame(index=people.index)
    facts["registered_on"] = people["registered_on"]
    _unusable_evidence(act, facts, config)
    _tier1(act, facts, decisions, config)
    flags = _tier2_before_tier1(act, facts)
    _electives(act, decisions, config)
    _once_per_day(act, ["compact", "outline", "coaching", "elective"])
    problems = _mentoring(act, facts, config)
    _tier2(act, facts, config)
    flags = pd.concat([flags, _order_flags(act, facts)], ignore_index=True)
    flags = flags.sort_values(["participant", "date", "flag"], kind="stable")
    flags = flags.drop_duplicates(["participant", "flag"], keep="first")
    act = act.drop(columns=[c for c in act.columns if c.startswith("_")])
    return facts, act[ACTIVITY_COLUMNS], flags, problems


def _unusable_evidence(act: pd.DataFrame, facts: pd.DataFrame, config: Config) -> None:
    """Evidence that cannot count whatever else holds."""
    kind = act["kind"]
    partial = (kind == "fundamentals") & act["_full_attendance"].ne(
        config.full_attendance_yes
    )
    _not_counted(act, partial, PARTIAL_ATTENDANCE)
    facts["partial_fundamentals"] = (
        act[partial].groupby("participant").size().reindex(facts.index).fillna(0) > 0
    )
    needed = len(config.forms["t1_capstone"].required_answers)
    _not_counted(
        act,
        (kind == "t1_capstone") & (act["_answered_required"].fillna(0) < needed),
        f"not all {needed} answers given",
    )
    files = len(config.forms["t2_portfolio"].required_files)
    _not_counted(
        act,
        (kind == "t2_portfolio") & (act["_files_attached"].fillna(0) < files),
        f"needs a file for each of the {files} documents",
    )


def _tier1(
    act: pd.DataFrame, facts: pd.DataFrame, decisions: StaffDecisions, config: Config
) -> None:
    """Tier 1 requirements; Mondays up to Tier 1 completion belong to it."""
    _once_per_day(act, ["fundamentals", "monday"])
    kind, counted = act["kind"], act["counted"]
    facts["pre"] = _first(act, counted & (kind == "t1_pre"))
    substitution = pd.Series(
        {s.email: pd.Timestamp(s.approved_on) for s in decisions.substitutions},
        dtype="datetime64[ns]",
    )
    logged = _first(act, counted & (kind == "fundamentals"))
    facts["fundamentals"] = pd.concat([logged, substitution]).groupby(level=0).min()
    facts["mondays"] = _nth_date(
        act[counted & (kind == "monday")], config.mondays_required
    )
    facts["post"] = _first(act, counted & (kind == "t1_post"))
    facts["capstone"] = _first(act, counted & (kind == "t1_capstone"))
    facts["t1_complete"] = _all_met(
        facts, ["registered_on", "pre", "fundamentals", "mondays", "post", "capstone"]
    )
    facts["post_unlocked"] = _all_met(facts, ["pre", "fundamentals", "mondays"])

    t1_done = _per_row(act, facts["t1_complete"])
    tier1_monday = (kind == "monday") & (t1_done.isna() | (act["date"] <= t1_done))
    act.loc[kind.isin(["fundamentals", "t1_pre", "t1_post", "t1_capstone"]), "tier"] = (
        "Tier 1"
    )
    act.loc[kind == "monday", "tier"] = "Tier 2"
    act.loc[tier1_monday, "tier"] = "Tier 1"
    facts["mondays_count"] = _count(act[act["counted"] & tier1_monday])


def _all_met(facts: pd.DataFrame, parts: list[str]) -> pd.Series:
    """The date the last of ``parts`` was met, when all are."""
    latest = facts[parts].max(axis=1).where(facts[parts].notna().all(axis=1))
    return latest.astype("datetime64[ns]")  # also when there is nobody yet


def _tier2_before_tier1(act: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Tier 2 evidence dated before Tier 1 completion: shown, not counted, flagged."""
    evidence = act["kind"].isin([*T2_FORMS, *T2_LOGS])
    act.loc[evidence, "tier"] = "Tier 2"
    t1_done = _per_row(act, facts["t1_complete"])
    early = evidence & (t1_done.isna() | (act["date"] < t1_done)) & act["counted"]
    rows = act[early]
    flags = pd.DataFrame(
        {
            "participant": rows["participant"],
            "flag": "t2_before_t1_complete:"
            + rows["form"].where(rows["form"] != "reflection", rows["label"]),
            "response_id": rows["response_id"],
            "date": rows["date"],
        }
    )
    _not_counted(act, early, "before Tier 1 was complete")
    return flags


def _electives(act: pd.DataFrame, decisions: StaffDecisions, config: Config) -> None:
    """Electives count once staff approve them, the earliest few only."""
    electives = act["kind"] == "elective"
    approved = act["response_id"].isin(decisions.elective_approvals)
    _not_counted(act, electives & ~approved, AWAITING_APPROVAL)
    _once_per_day(act, ["elective"])
    counted = act[electives & act["counted"]]
    over_cap = counted.groupby("participant").cumcount() >= config.electives_max
    _not_counted(
        act,
        act.index.isin(over_cap[over_cap].index),
        f"only {config.electives_max} electives count",
    )


def _mentoring(act: pd.DataFrame, facts: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The mentee, the mentoring start date, and the weekly reflections.

    Returns the problems found (a start date that is not a date).
    """
    kind = act["kind"]
    t2_pres = act[act["counted"] & (kind == "t2_pre")].copy()
    start, problem = parse_date_answers(t2_pres["_start_date"], t2_pres["date"])
    unreadable = problem.str.startswith("not a date")
    has_start = _nonblank(t2_pres["_start_date"]) & ~unreadable
    t2_pres["start"] = start
    facts["t2_pre"] = t2_pres.groupby("participant")["date"].min()
    named = _nonblank(t2_pres["_mentee_name"]) & has_start
    facts["mentee"] = t2_pres[named].groupby("participant")["date"].min()
    latest = t2_pres[has_start].sort_values("_order")
    facts["mentoring_start"] = latest.groupby("participant")["start"].last()

    reflections = kind == "weekly_reflection"
    start_of = _per_row(act, facts["mentoring_start"])
    _not_counted(
        act,
        reflections & start_of.isna(),
        "no mentoring start date yet (Tier 2 pre-assessment)",
    )
    _not_counted(
        act, reflections & (act["date"] < start_of), "before the mentoring start date"
    )
    # The mentoring period runs to the latest reflection, whichever of its
    # week's reflections that is; the weekly count takes one per week.
    valid = act[reflections & act["counted"]]
    started = _per_row(valid, facts["mentoring_start"])
    long_enough = (valid["date"] - started).dt.days >= config.mentoring_days_required
    facts["period"] = valid[long_enough].groupby("participant")["date"].min()
    latest_reflection = valid.groupby("participant")["date"].max()
    facts["mentoring_days"] = (latest_reflection - facts["mentoring_start"]).dt.days

    iso = act["date"].dt.isocalendar()
    week = iso["year"].astype(str) + "-" + iso["week"].astype(str).str.zfill(2)
    candidates = valid
    # (assign on an empty frame would adopt the whole index: select first)
    repeat = candidates.assign(_w=week.loc[candidates.index]).duplicated(
        ["participant", "_w"]
    )
    _not_counted(
        act,
        act.index.isin(repeat[repeat].index),
        "a reflection already counts for this week",
    )

    weekly = act[act["counted"] & reflections]
    facts["reflections"] = _nth_date(weekly, config.reflections_required)
    facts["reflection_weeks"] = _count(weekly)
    bad = t2_pres[unreadable]
    return pd.DataFrame(
        {
            "form": "t2_pre",
            "response_id": bad["response_id"],
            "field": config.forms["t2_pre"].fields["start_date"],
            "problem": "not a date (expected YYYY-MM-DD): no mentoring start date "
            "is set from this response",
        }
    )


def _tier2(act: pd.DataFrame, facts: pd.DataFrame, config: Config) -> None:
    """Training, the single-log steps, coaching readiness and completion."""
    kind, counted = act["kind"], act["counted"]
    training = act[
        counted
        & (((kind == "monday") & (act["tier"] == "Tier 2")) | (kind == "elective"))
    ].sort_values(["date", "_order"])
    total = training.groupby("participant").cumcount() + 1
    mondays = (training["kind"] == "monday").astype(int)
    monday_total = mondays.groupby(training["participant"]).cumsum()
    enough = (total >= config.training_sessions_required) & (
        monday_total >= config.training_mondays_required
    )
    facts["training"] = training[enough].groupby("participant")["date"].min()
    facts["training_count"] = _count(training)
    for fact, evidence in (
        ("compact", "compact"),
        ("outline", "outline"),
        ("t2_post", "t2_post"),
        ("coaching", "coaching"),
        ("portfolio", "t2_portfolio"),
        ("coaching_feedback", "coaching_feedback"),
    ):
        facts[fact] = _first(act, counted & (kind == evidence))
    facts["coaching_ready"] = _all_met(
        facts, ["coaching_feedback", "compact", "reflections"]
    )
    t2_parts = [
        "mentee",
        "t2_pre",
        "compact",
        "outline",
        "reflections",
        "training",
        "period",
        "t2_post",
        "coaching",
        "portfolio",
    ]
    facts["t2_complete"] = _all_met(facts, t2_parts)
    counted_t2 = act[counted & (act["tier"] == "Tier 2")]
    facts["t2_started"] = facts[t2_parts].notna().any(axis=1) | facts.index.isin(
        counted_t2["participant"]
    )


def _count(rows: pd.DataFrame) -> pd.Series:
    return rows.groupby("participant").size()


def _order_flags(act: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Out-of-order steps: they still count; staff get to see them."""
    kind = act["kind"]
    training = (
        act[kind.isin(["fundamentals", "monday"])].groupby("participant")["date"].min()
    )
    first_pre = (
        act[act["counted"] & (kind == "t1_pre")].groupby("participant")["date"].min()
    )
    late_pre = first_pre[first_pre > training.reindex(first_pre.index)]
    early_post = facts["post"].notna() & ~(facts["post"] >= facts["post_unlocked"])
    early_coaching = facts["coaching"].notna() & ~(
        facts["coaching"] >= facts["coaching_ready"]
    )
    parts = [
        pd.DataFrame(
            {
                "participant": late_pre.index,
                "flag": "out_of_order:t1_pre",
                "date": late_pre.values,
            }
        ),
        pd.DataFrame(
            {
                "participant": facts.index[early_post],
                "flag": "out_of_order:t1_post",
                "date": facts.loc[early_post, "post"].values,
            }
        ),
        pd.DataFrame(
            {
                "participant": facts.index[early_coaching],
                "flag": "out_of_order:coaching",
                "date": facts.loc[early_coaching, "coaching"].values,
            }
        ),
    ]
    flags = pd.concat(parts, ignore_index=True)
    flags["response_id"] = ""
    return flags


def _last_activity(rows: pd.DataFrame, activities: pd.DataFrame) -> pd.Series:
    """The later of each participant's latest submission day and activity date."""
    days = pd.concat(
        [
            rows.groupby("participant")["day"].max(),
            activities.groupby("participant")["date"].max(),
        ]
    )
    return days.groupby(level=0).max()


def _suspicious_dates(
    act: pd.DataFrame, config: Config, today: pd.Timestamp
) -> pd.DataFrame:
    logged = act["form"] == "reflection"
    future = logged & (act["date"] > today)
    ancient = logged & (act["date"] < pd.Timestamp(config.started_on))
    bad = act[future | ancient]
    return pd.DataFrame(
        {
            "form": bad["form"],
            "response_id": bad["response_id"],
            "field": config.forms["reflection"].fields["date"],
            "problem": np.where(
                future[future | ancient],
                "date is in the future",
                "date is before the program started",
            ),
        }
    )


def progress_table(facts: pd.DataFrame) -> pd.DataFrame:
    """Participant x requirement: done, completed on, count."""
    frames = []
    for requirement in REQUIREMENTS:
        date = facts[REQUIREMENT_FACT[requirement]]
        count_fact = _COUNT_FACT.get(requirement)
        frames.append(
            pd.DataFrame(
                {
                    "participant": facts.index,
                    "requirement": requirement,
                    "done": date.notna().to_numpy(),
                    "completed_on": date.to_numpy(),
                    "count": (
                        facts[count_fact].fillna(0).astype(int).to_numpy()
                        if count_fact
                        else 0
                    ),
                }
            )
        )
    progress = pd.concat(frames, ignore_index=True)
    progress["counted_requirement"] = progress["requirement"].isin(COUNTED_REQUIREMENTS)
    return progress


TIER_OF = {key: "Tier 1" for key in REQUIREMENTS_T1} | {
    key: "Tier 2" for key in REQUIREMENTS_T2
}
