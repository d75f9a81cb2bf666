"""The program evaluation: anonymous aggregates, for staff and for publication.

Pure pandas over the pulled responses and a reconciliation, as the program
page promises: self-assessment data "anonymized and aggregated". Every table
here has these properties:

* no identifier: no email, name, response id or free-text answer;
* no small group: any group of fewer than ``evaluation.min_group_size``
  people (config/program.toml) is marked ``suppressed`` and its numbers are
  left blank. A count below the threshold, zero included, is never shown;
* the confidential mentee assessments appear only in the coaches' table,
  which is built only when asked for (``coaches=True``).

Cohort = the calendar quarter of registration ("2026-Q1"), in the program's
time zone as every date of the reconciliation is.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pmc_sync.config import REQUIREMENTS, Config
from pmc_sync.decisions import StaffDecisions, normalise_email
from pmc_sync.errors import ConfigError
from pmc_sync.reconcile import Reconciliation, _identity
from pmc_sync.staff_view import REQUIREMENT_TITLES
from pmc_sync.steps import next_requirement

log = logging.getLogger(__name__)

SETTING = "evaluation.min_group_size"
ALL = "All"
OTHER_DEPARTMENTS = "Other departments"
NO_DEPARTMENT = "(not given)"
WITHDRAWN = "withdrawn"
CONFIDENCE = 0.95
# Each tier's self-assessment: (pre form, post form).
ASSESSMENTS = {"Tier 1": ("t1_pre", "t1_post"), "Tier 2": ("t2_pre", "t2_post")}
MENTEE_FORM = "mentee_assessment"
# A tier's time to complete runs from the first fact to the second.
TIER_SPANS = {
    "Tier 1": ("registered_on", "t1_complete"),
    "Tier 2": ("t1_complete", "t2_complete"),
}

FUNNEL_COLUMNS = ["cohort", "step", "title", "participants", "share", "suppressed"]
TIME_COLUMNS = [
    "tier",
    "cohort",
    "completed",
    "median_days",
    "q1_days",
    "q3_days",
    "iqr_days",
    "suppressed",
]
STALL_COLUMNS = ["step", "title", "participants", "median_days_idle", "suppressed"]
CHANGE_COLUMNS = [
    "tier",
    "competency",
    "pairs",
    "mean_pre",
    "mean_post",
    "mean_change",
    "sd_change",
    "ci_low",
    "ci_high",
    "suppressed",
]
DEPARTMENT_COLUMNS = [
    "department",
    "registered",
    "tier1_certificates",
    "tier2_certificates",
    "suppressed",
]
COACHES_COLUMNS = [
    "competency",
    "assessments",
    "mentors",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "suppressed",
]


@dataclass(frozen=True)
class Evaluation:
    """The evaluation's tables; every one is safe to publish except ``coaches``."""

    as_of: dt.date
    min_group_size: int
    funnel: pd.DataFrame  # FUNNEL_COLUMNS, long: cohort x step
    time_to_complete: pd.DataFrame  # TIME_COLUMNS
    stalls: pd.DataFrame  # STALL_COLUMNS
    changes: pd.DataFrame  # CHANGE_COLUMNS, both tiers
    departments: pd.DataFrame  # DEPARTMENT_COLUMNS
    coaches: pd.DataFrame | None = None  # COACHES_COLUMNS, only when asked


def min_group_size(config: Config) -> int:
    """The ``[evaluation] min_group_size`` setting of ``program.toml``.

    Raises:
        ConfigError: the setting is missing or not a whole number of at least 2.
    """
    path = Path(config.config_dir) / "program.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), SETTING, f"cannot be read ({exc})") from exc
    value = data.get("evaluation", {}).get("min_group_size")
    if value is None:
        raise ConfigError(
            "program.toml",
            SETTING,
            "missing",
            "add an [evaluation] table with min_group_size = 5",
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ConfigError(
            "program.toml",
            SETTING,
            f"expected a whole number of at least 2, got {value!r}",
            "a group of one is a person; the program's promise needs 5 or more",
        )
    return value


def t_critical(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided critical value of Student's t with ``df`` degrees of freedom.

    Exact for whole ``df``: the distribution function is the finite series of
    Abramowitz and Stegun 26.7.3/26.7.4, solved for ``confidence`` by bisection.
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    low, high = 0.0, 1.0
    while _t_central_mass(high, df) < confidence:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if _t_central_mass(middle, df) < confidence:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def _t_central_mass(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with whole ``df``."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 1:
        series, term = 1.0, 1.0
        for k in range(1, (df - 3) // 2 + 1):
            term *= cos2 * (2 * k) / (2 * k + 1)
            series += term
        tail = math.sin(theta) * math.cos(theta) * series if df > 1 else 0.0
        return 2 / math.pi * (theta + tail)
    series, term = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= cos2 * (2 * k - 1) / (2 * k)
        series += term
    return math.sin(theta) * series


def cohort_of(dates: pd.Series) -> pd.Series:
    """Each date's calendar quarter, as "2026-Q1"."""
    dates = pd.to_datetime(dates)
    return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)


def evaluate(
    responses: pd.DataFrame,
    recon: Reconciliation,
    config: Config,
    *,
    decisions: StaffDecisions | None = None,
    coaches: bool = False,
    group_size: int | None = None,
) -> Evaluation:
    """Every table of the evaluation.

    Args:
        responses: the pulled responses (``pull(...).responses``).
        recon: the reconciliation of the same responses.
        decisions: the staff decisions (aliases), for the coaches' table.
        coaches: also aggregate the confidential mentee assessments.
        group_size: overrides ``evaluation.min_group_size`` (tests).
    """
    size = min_group_size(config) if group_size is None else group_size
    people = recon.participants
    facts = recon.facts.reindex(people.index)
    cohort = cohort_of(people["registered_on"])
    today = facts["today"].dropna()
    as_of = pd.Timestamp(today.iloc[0]).date() if len(today) else dt.date.today()
    evaluation = Evaluation(
        as_of=as_of,
        min_group_size=size,
        funnel=funnel(recon.progress, cohort, size),
        time_to_complete=time_to_complete(facts, cohort, size),
        stalls=stalls(facts, people["withdrawn"], size),
        changes=pd.concat(
            [
                paired_changes(responses, recon, config, tier, size)
                for tier in ASSESSMENTS
            ],
            ignore_index=True,
        ),
        departments=departments(people, facts, size),
        coaches=(
            mentee_ratings(responses, recon, config, decisions, size)
            if coaches
            else None
        ),
    )
    log.info(
        "evaluation of %d participants as of %s (groups under %d suppressed)",
        len(people),
        as_of,
        size,
    )
    return evaluation


def _suppress(
    frame: pd.DataFrame, small: pd.Series, numbers: list[str]
) -> pd.DataFrame:
    """Blank every number of the rows of a small group, and say so."""
    frame = frame.copy()
    frame["suppressed"] = small.to_numpy()
    for column in numbers:
        frame[column] = frame[column].astype("Float64").mask(frame["suppressed"])
    return frame


def funnel(progress: pd.DataFrame, cohort: pd.Series, size: int) -> pd.DataFrame:
    """Participants who met each requirement, by cohort and for all (``ALL``)."""
    done = progress.assign(cohort=progress["participant"].map(cohort))
    both = pd.concat([done.assign(cohort=ALL), done], ignore_index=True)
    counts = (
        both.groupby(["cohort", "requirement"])["done"].sum().astype(int).reset_index()
    )
    registered = pd.concat([pd.Series(ALL, index=cohort.index), cohort])
    registered = registered.value_counts()
    counts["registered"] = counts["cohort"].map(registered)
    counts["share"] = counts["done"] / counts["registered"]
    small = (counts["registered"] < size) | (counts["done"] < size)
    table = pd.DataFrame(
        {
            "cohort": counts["cohort"],
            "step": counts["requirement"],
            "title": counts["requirement"].map(REQUIREMENT_TITLES),
            "participants": counts["done"],
            "share": counts["share"],
        }
    )
    table = _suppress(table, small, ["participants", "share"])
    table["participants"] = table["participants"].astype("Int64")
    return _ordered(table, "cohort", "step", REQUIREMENTS)[FUNNEL_COLUMNS]


def _ordered(
    table: pd.DataFrame, cohort: str, step: str, steps: tuple[str, ...] | list[str]
) -> pd.DataFrame:
    """``ALL`` first, then cohorts in time order; steps in checklist order."""
    rank = {s: i for i, s in enumerate(steps)}
    return (
        table.assign(
            _all=table[cohort] != ALL,
            _step=table[step].map(rank),
        )
        .sort_values(["_all", cohort, "_step"], kind="stable")
        .drop(columns=["_all", "_step"])
        .reset_index(drop=True)
    )


def time_to_complete(facts: pd.DataFrame, cohort: pd.Series, size: int) -> pd.DataFrame:
    """Days to complete each tier: median and quartiles, by cohort and for all."""
    rows = []
    for tier, (start, end) in TIER_SPANS.items():
        days = (facts[end] - facts[start]).dt.days.dropna()
        groups = pd.concat(
            [
                pd.DataFrame({"cohort": ALL, "days": days}),
                pd.DataFrame({"cohort": cohort.reindex(days.index), "days": days}),
            ]
        )
        everyone = pd.concat([pd.Series(ALL, index=cohort.index), cohort])
        for name in everyone.drop_duplicates():
            mine = groups.loc[groups["cohort"] == name, "days"]
            q1, median, q3 = (
                mine.quantile([0.25, 0.5, 0.75]).to_numpy()
                if len(mine)
                else (np.nan, np.nan, np.nan)
            )
            rows.append(
                {
                    "tier": tier,
                    "cohort": name,
                    "completed": len(mine),
                    "median_days": median,
                    "q1_days": q1,
                    "q3_days": q3,
                    "iqr_days": q3 - q1,
                    "_registered": int((everyone == name).sum()),
                }
            )
    table = pd.DataFrame(rows)
    small = (table["completed"] < size) | (table["_registered"] < size)
    table = _suppress(
        table, small, ["completed", "median_days", "q1_days", "q3_days", "iqr_days"]
    )
    table["completed"] = table["completed"].astype("Int64")
    table = table.assign(_all=table["cohort"] != ALL).sort_values(
        ["tier", "_all", "cohort"], kind="stable"
    )
    return table.reset_index(drop=True)[TIME_COLUMNS]


def stalls(facts: pd.DataFrame, withdrawn: pd.Series, size: int) -> pd.DataFrame:
    """Where people who have not finished stand: their first open step.

    Withdrawn participants count under ``"withdrawn"``; whoever holds both
    certificates is not counted.
    """
    unfinished = facts[facts["t2_complete"].isna()]
    step = unfinished.apply(next_requirement, axis=1).astype("object")
    gone = withdrawn.reindex(unfinished.index).fillna(False).astype(bool)
    step[gone] = WITHDRAWN
    idle = (unfinished["today"] - unfinished["last_activity"]).dt.days
    grouped = pd.DataFrame({"step": step, "idle": idle}).groupby("step")["idle"]
    order = [*[s for s in REQUIREMENTS if not s.endswith(".complete")], WITHDRAWN]
    table = pd.DataFrame(
        {
            "step": order,
            "title": [REQUIREMENT_TITLES.get(s, "Withdrawn") for s in order],
            "participants": grouped.size().reindex(order).fillna(0).astype(int),
            "median_days_idle": grouped.median().reindex(order),
        }
    ).reset_index(drop=True)
    small = table["participants"] < size
    table = _suppress(table, small, ["participants", "median_days_idle"])
    table["participants"] = table["participants"].astype("Int64")
    return table[STALL_COLUMNS]


def _latest_versions(responses: pd.DataFrame, form: str) -> pd.DataFrame:
    """One row per response of ``form``: its latest submitted version."""
    mine = responses[responses["form"] == form]
    mine = mine.sort_values("last_submitted", kind="stable")
    return mine.drop_duplicates("response_id", keep="last")


def _grid_columns(frame: pd.DataFrame, config: Config, form: str) -> dict[str, str]:
    """Column -> competency (the grid row's title) of a form's rating grids."""
    grids = config.forms[form].grids
    if not grids:
        raise ConfigError(
            "forms.toml",
            f"forms.{form}.grids",
            "no rating grid is mapped, so there is nothing to evaluate",
            "map the grid's title, e.g. grids.confidence = <its title>",
        )
    prefixes = tuple(f"{name}:" for name in grids)
    return {
        column: column.split(":", 1)[1]
        for column in frame.columns
        if isinstance(column, str) and column.startswith(prefixes)
    }


def _ratings(
    responses: pd.DataFrame,
    recon: Reconciliation,
    config: Config,
    form: str,
    keep: str,
) -> pd.DataFrame:
    """Participant, competency, rating of one counted response per participant.

    ``keep`` is "first" (the earliest counted response: a baseline) or "last"
    (the latest: an outcome).
    """
    act = recon.activities
    chosen = (
        act[act["counted"] & (act["form"] == form)]
        .sort_values(["date", "submitted"], kind="stable")
        .drop_duplicates("participant", keep=keep)[["participant", "response_id"]]
    )
    answers = _latest_versions(responses, form)
    columns = _grid_columns(answers, config, form)
    merged = chosen.merge(
        answers[["response_id", *columns]], on="response_id", how="inner"
    )
    long = merged.melt(
        id_vars="participant",
        value_vars=list(columns),
        var_name="competency",
        value_name="rating",
    )
    long["competency"] = long["competency"].map(columns)
    long["rating"] = pd.to_numeric(long["rating"], errors="coerce")
    return long.dropna(subset=["rating"])


def _mean_ci(values: pd.api.typing.SeriesGroupBy) -> pd.DataFrame:
    stats = values.agg(["count", "mean", "std"])
    half = [
        t_critical(int(n) - 1) * sd / math.sqrt(n) if n > 1 else np.nan
        for n, sd in zip(stats["count"], stats["std"])
    ]
    stats["ci_low"] = stats["mean"] - half
    stats["ci_high"] = stats["mean"] + half
    return stats


def paired_changes(
    responses: pd.DataFrame,
    recon: Reconciliation,
    config: Config,
    tier: str,
    size: int,
) -> pd.DataFrame:
    """Pre -> post change per competency: mean paired difference and its CI.

    A pair is one participant's earliest counted pre-assessment and latest
    counted post-assessment of the tier, compared competency by competency.
    """
    pre_form, post_form = ASSESSMENTS[tier]
    pre = _ratings(responses, recon, config, pre_form, keep="first")
    post = _ratings(responses, recon, config, post_form, keep="last")
    pairs = pre.merge(
        post, on=["participant", "competency"], suffixes=("_pre", "_post")
    )
    pairs["change"] = pairs["rating_post"] - pairs["rating_pre"]
    grouped = pairs.groupby("competency", sort=False)
    stats = _mean_ci(grouped["change"])
    competencies = list(dict.fromkeys([*pre["competency"], *post["competency"]]).keys())
    table = pd.DataFrame(
        {
            "tier": tier,
            "competency": competencies,
            "pairs": stats["count"].reindex(competencies).fillna(0).astype(int),
            "mean_pre": grouped["rating_pre"].mean().reindex(competencies),
            "mean_post": grouped["rating_post"].mean().reindex(competencies),
            "mean_change": stats["mean"].reindex(competencies),
            "sd_change": stats["std"].reindex(competencies),
            "ci_low": stats["ci_low"].reindex(competencies),
            "ci_high": stats["ci_high"].reindex(competencies),
        }
    ).reset_index(drop=True)
    numbers = CHANGE_COLUMNS[2:-1]
    table = _suppress(table, table["pairs"] < size, numbers)
    table["pairs"] = table["pairs"].astype("Int64")
    return table[CHANGE_COLUMNS]


def departments(people: pd.DataFrame, facts: pd.DataFrame, size: int) -> pd.DataFrame:
    """Registrations and certificates by department.

    Departments with fewer than ``size`` participants are pooled under
    ``OTHER_DEPARTMENTS`` so that their names never single anyone out.
    """
    text = people["department"].astype("object")
    text = text.where(text.map(lambda v: isinstance(v, str)), "")
    text = text.str.split().str.join(" ")
    key = text.str.casefold()
    shown = text.groupby(key).agg(_usual_spelling)
    name = key.map(shown).replace("", NO_DEPARTMENT)
    counts = name.value_counts()
    name = name.where(name.map(counts) >= size, OTHER_DEPARTMENTS)
    frame = pd.DataFrame(
        {
            "department": name,
            "t1": facts["t1_complete"].notna(),
            "t2": facts["t2_complete"].notna(),
        }
    )
    grouped = frame.groupby("department")
    table = pd.DataFrame(
        {
            "registered": grouped.size(),
            "tier1_certificates": grouped["t1"].sum().astype(int),
            "tier2_certificates": grouped["t2"].sum().astype(int),
        }
    ).reset_index()
    table = table.assign(_other=table["department"] == OTHER_DEPARTMENTS).sort_values(
        ["_other", "department"], kind="stable"
    )
    table = table.drop(columns="_other").reset_index(drop=True)
    small_group = table["registered"] < size
    table["suppressed"] = small_group
    for column in ["registered", "tier1_certificates", "tier2_certificates"]:
        table[column] = (
            table[column].astype("Int64").mask(small_group | (table[column] < size))
        )
    return table[DEPARTMENT_COLUMNS]


def _usual_spelling(names: pd.Series) -> str:
    """The most used spelling; on a tie, the first in sort order ("Genetics"
    before "genetics")."""
    counts = names.value_counts()
    return min(counts.index, key=lambda name: (-counts[name], name))


def mentee_ratings(
    responses: pd.DataFrame,
    recon: Reconciliation,
    config: Config,
    decisions: StaffDecisions | None,
    size: int,
) -> pd.DataFrame:
    """The confidential mentee assessments, aggregated per competency.

    Only assessments naming a registered participant as mentor count, one per
    (mentee, mentor): the latest. A competency is suppressed unless it has at
    least ``size`` assessments about at least ``size`` different mentors.
    """
    answers = _latest_versions(responses, MENTEE_FORM)
    columns = _grid_columns(answers, config, MENTEE_FORM)
    if "mentor_email" not in answers:
        raise ConfigError(
            "forms.toml",
            f"forms.{MENTEE_FORM}.fields.mentor_email",
            "missing",
            "map the question that names the mentor",
        )
    mentor, valid = _identity(
        answers.assign(respondent_email=answers["mentor_email"]),
        decisions or StaffDecisions(),
    )
    answers = answers.assign(
        mentor=mentor, mentee=answers["respondent_email"].map(normalise_email)
    )
    answers = answers[valid & answers["mentor"].isin(recon.participants.index)]
    answers = answers.sort_values("last_submitted", kind="stable").drop_duplicates(
        ["mentee", "mentor"], keep="last"
    )
    long = answers.melt(
        id_vars="mentor",
        value_vars=list(columns),
        var_name="competency",
        value_name="rating",
    )
    long["competency"] = long["competency"].map(columns)
    long["rating"] = pd.to_numeric(long["rating"], errors="coerce")
    long = long.dropna(subset=["rating"])
    competencies = list(columns.values())
    grouped = long.groupby("competency", sort=False)
    stats = _mean_ci(grouped["rating"])
    table = pd.DataFrame(
        {
            "competency": competencies,
            "assessments": stats["count"].reindex(competencies).fillna(0).astype(int),
            "mentors": grouped["mentor"].nunique().reindex(competencies).fillna(0),
            "mean": stats["mean"].reindex(competencies),
            "sd": stats["std"].reindex(competencies),
            "ci_low": stats["ci_low"].reindex(competencies),
            "ci_high": stats["ci_high"].reindex(competencies),
        }
    ).reset_index(drop=True)
    small = (table["assessments"] < size) | (table["mentors"] < size)
    table = _suppress(table, small, COACHES_COLUMNS[1:-1])
    for column in ("assessments", "mentors"):
        table[column] = table[column].astype("Int64")
    return table[COACHES_COLUMNS]
