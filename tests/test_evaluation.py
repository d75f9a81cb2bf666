"""The program evaluation against a synthetic cohort whose truth is known.

The generator (``synthetic.py``) plans 500 participants and writes the
Forms API pages that plan implies; the evaluation reads them through the
same pull and reconcile as a sync run. Every number the report shows must
equal the generator's truth, and every group under the threshold must be
suppressed, never shown.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import EXPECTED, KIT, SAMPLE_NOW
from pmc_sync.cli import cli
from pmc_sync.config import REQUIREMENTS, load_config
from pmc_sync.errors import ConfigError
from pmc_sync.evaluation import (
    ALL,
    OTHER_DEPARTMENTS,
    Evaluation,
    evaluate,
    min_group_size,
    t_critical,
)
from pmc_sync.evaluation_report import (
    COACHES_CSV,
    CSV_FILES,
    REPORT_FILE,
    render_html,
    write_report,
)
from pmc_sync.pull import pull
from pmc_sync.reconcile import reconcile
from pmc_sync.workspace import init_workspace
from synthetic import T1_EFFECTS, T2_EFFECTS, Cohort, generate

SIZE = 5
CHANGE_NUMBERS = ["pairs", "mean_pre", "mean_post", "mean_change", "ci_low", "ci_high"]


@dataclass
class Evaluated:
    cohort: Cohort
    responses: pd.DataFrame
    recon: object
    decisions: object
    evaluation: Evaluation


def _evaluate(tmp_path_factory, config, n: int, seed: int) -> Evaluated:
    root = tmp_path_factory.mktemp(f"synthetic-{n}")
    cohort = generate(KIT / "forms", n=n, seed=seed)
    workspace = init_workspace(
        root / "ws", KIT / "forms", cohort.write(root / "cohort"), config
    )
    pulled = pull(workspace.forms(), config)
    decisions = workspace.decisions()
    recon = reconcile(pulled.responses, decisions, config, cohort.now)
    evaluation = evaluate(
        pulled.responses, recon, config, decisions=decisions, coaches=True
    )
    return Evaluated(cohort, pulled.responses, recon, decisions, evaluation)


@pytest.fixture(scope="module")
def big(tmp_path_factory, config) -> Evaluated:
    return _evaluate(tmp_path_factory, config, n=500, seed=20261130)


@pytest.fixture(scope="module")
def small(tmp_path_factory, config) -> Evaluated:
    """40 people: most groups are under the threshold."""
    return _evaluate(tmp_path_factory, config, n=40, seed=7)


@pytest.fixture(params=["big", "small"])
def cohort(request) -> Evaluated:
    return request.getfixturevalue(request.param)


# The setting.


def test_min_group_size_is_read_from_program_toml(config):
    assert min_group_size(config) == SIZE


def _config_with(tmp_path, evaluation_table: str):
    folder = tmp_path / "config"
    shutil.copytree(config_dir := load_config().config_dir, folder)
    text = (config_dir / "program.toml").read_text()
    text = re.sub(r"\[evaluation\][^\[]*", evaluation_table, text)
    (folder / "program.toml").write_text(text)
    return load_config(folder)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("", "missing"),
        ("[evaluation]\nmin_group_size = 1\n\n", "at least 2"),
        ('[evaluation]\nmin_group_size = "five"\n\n', "'five'"),
        ("[evaluation]\nmin_group_size = true\n\n", "True"),
    ],
)
def test_a_wrong_min_group_size_names_the_key(tmp_path, table, problem):
    config = _config_with(tmp_path, table)

    with pytest.raises(ConfigError) as caught:
        min_group_size(config)

    assert "program.toml: evaluation.min_group_size" in str(caught.value)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("df", "value"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423), (120, 1.9799)],
)
def test_t_critical_matches_the_t_table(df, value):
    assert t_critical(df) == pytest.approx(value, abs=5e-5)


# Funnel, times, stalls, departments: equal to the truth, or suppressed.


def _check(shown, truth: float, count: int, suppressed: bool, exact=True) -> None:
    if count < SIZE:
        assert suppressed and pd.isna(shown), (shown, count)
    else:
        assert not suppressed
        assert shown == (truth if exact else pytest.approx(truth)), (shown, truth)


def test_funnel_counts_equal_the_truth(cohort):
    truth = cohort.cohort.truth
    funnel = cohort.evaluation.funnel

    assert set(funnel["cohort"]) == {ALL, *truth.cohorts()}
    assert len(funnel) == len(REQUIREMENTS) * (len(truth.cohorts()) + 1)
    for row in funnel.itertuples(index=False):
        registered = truth.registered(row.cohort)
        met = truth.met(row.step, row.cohort)
        smallest = min(registered, met)
        _check(row.participants, met, smallest, row.suppressed)
        if smallest >= SIZE:
            assert row.share == pytest.approx(met / registered)


def test_the_tiny_cohort_is_suppressed_whole(big):
    funnel = big.evaluation.funnel
    tiny = funnel[funnel["cohort"] == "2026-Q3"]

    assert big.cohort.truth.registered("2026-Q3") == 3
    assert tiny["suppressed"].all() and tiny["participants"].isna().all()


def test_time_to_complete_equals_the_truth(cohort):
    truth = cohort.cohort.truth

    for row in cohort.evaluation.time_to_complete.itertuples(index=False):
        days = truth.tier_days(row.tier, row.cohort)
        count = min(len(days), truth.registered(row.cohort))
        _check(row.completed, len(days), count, row.suppressed)
        if count >= SIZE:
            q1, median, q3 = np.percentile(days, [25, 50, 75])
            assert (row.q1_days, row.median_days, row.q3_days) == (q1, median, q3)
            assert row.iqr_days == q3 - q1


def test_stalls_equal_the_truth_and_small_ones_are_suppressed(cohort):
    truth = cohort.cohort.truth.stalls()
    stalls = cohort.evaluation.stalls

    assert sum(truth.values()) == cohort.cohort.truth.registered() - (
        cohort.cohort.truth.met("T2.complete")
    )
    for row in stalls.itertuples(index=False):
        _check(
            row.participants,
            truth.get(row.step, 0),
            truth.get(row.step, 0),
            row.suppressed,
        )


def test_the_three_who_stall_at_the_outline_are_suppressed(big):
    stalls = big.evaluation.stalls.set_index("step")

    assert big.cohort.truth.stalls()["T2.outline"] == 3
    assert stalls.loc["T2.outline", "suppressed"]
    assert pd.isna(stalls.loc["T2.outline", "participants"])
    assert pd.isna(stalls.loc["T2.outline", "median_days_idle"])


def test_departments_equal_the_truth_small_ones_pooled(cohort):
    truth = cohort.cohort.truth.departments(SIZE)
    table = cohort.evaluation.departments
    # The report spells a department as most registrations typed it.
    table = table.set_index(table["department"].str.casefold())

    assert set(table.index) == {name.casefold() for name in truth}
    for name, (registered, tier1, tier2) in truth.items():
        row = table.loc[name.casefold()]
        _check(row["registered"], registered, registered, row["suppressed"])
        for column, value in (
            ("tier1_certificates", tier1),
            ("tier2_certificates", tier2),
        ):
            if registered >= SIZE and value >= SIZE:
                assert row[column] == value
            else:
                assert pd.isna(row[column])


def test_rare_departments_never_appear_by_name(big):
    assert "Astronomy" not in set(big.evaluation.departments["department"])
    assert "Music" not in set(big.evaluation.departments["department"])
    other = big.evaluation.departments.set_index("department").loc[OTHER_DEPARTMENTS]
    assert other["suppressed"]


# Pre -> post change.


@pytest.mark.parametrize("tier", ["Tier 1", "Tier 2"])
def test_mean_changes_equal_the_truth(cohort, tier):
    truth = cohort.cohort.truth.changes(tier)
    rows = cohort.evaluation.changes
    rows = rows[rows["tier"] == tier].set_index("competency")

    assert list(rows.index) == cohort.cohort.truth.competencies
    for competency, (pairs, mean) in truth.items():
        row = rows.loc[competency]
        _check(row["pairs"], pairs, pairs, row["suppressed"])
        if pairs >= SIZE:
            assert row["mean_change"] == pytest.approx(mean, abs=1e-12)
            half = t_critical(pairs - 1) * row["sd_change"] / math.sqrt(pairs)
            assert row["ci_low"] == pytest.approx(mean - half)
            assert row["ci_high"] == pytest.approx(mean + half)
        else:
            assert row[["mean_change", "ci_low", "ci_high"]].isna().all()


@pytest.mark.parametrize(
    ("tier", "effects"), [("Tier 1", T1_EFFECTS), ("Tier 2", T2_EFFECTS)]
)
def test_known_effects_are_found(big, tier, effects):
    rows = big.evaluation.changes
    rows = rows[rows["tier"] == tier]

    for effect, low, high in zip(effects, rows["ci_low"], rows["ci_high"]):
        if effect >= 0.5:
            assert low > 0, (tier, effect)
        assert high - low < 0.4


def test_a_tier_with_few_pairs_is_suppressed(big, config):
    responses = big.responses
    posts = responses.index[responses["form"] == "t2_post"]
    few = responses.drop(posts[SIZE - 2 :])
    recon = reconcile(few, big.decisions, config, big.cohort.now)

    evaluation = evaluate(few, recon, config)

    rows = evaluation.changes[evaluation.changes["tier"] == "Tier 2"]
    assert rows["suppressed"].all()
    assert rows[CHANGE_NUMBERS].isna().all().all()
    tier1 = evaluation.changes[evaluation.changes["tier"] == "Tier 1"]
    assert not tier1["suppressed"].any()


# The coaches' section.


def test_mentee_assessments_equal_the_truth(cohort):
    truth = cohort.cohort.truth.mentee_means()
    table = cohort.evaluation.coaches.set_index("competency")

    for competency, (count, mentors, mean) in truth.items():
        row = table.loc[competency]
        _check(row["assessments"], count, min(count, mentors), row["suppressed"])
        if min(count, mentors) >= SIZE:
            assert row["mentors"] == mentors
            assert row["mean"] == pytest.approx(mean, abs=1e-12)


def test_no_coaches_table_unless_asked(big, config):
    plain = evaluate(big.responses, big.recon, config, decisions=big.decisions)

    assert plain.coaches is None


def test_without_coaches_the_mentee_form_changes_nothing(big, config):
    without = big.responses[big.responses["form"] != "mentee_assessment"]

    with_mentees = evaluate(big.responses, big.recon, config)
    no_mentees = evaluate(without, big.recon, config)

    assert render_html(with_mentees) == render_html(no_mentees)


# The files.


@pytest.fixture(scope="module")
def written(big, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    write_report(big.evaluation, out, program_name="Postdoc Mentoring Certificate")
    return out


def _all_text(folder) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


def test_the_report_holds_no_identifier(big, written):
    text = _all_text(written)
    people = big.cohort.truth.people

    assert "@" not in text
    assert "Synthetic Person" not in text
    assert not re.search(r"Mentee \d", text)
    assert "ACYDBN" not in text and "1SYN" not in text
    for rid in big.responses["response_id"].sample(50, random_state=1):
        assert rid not in text
    assert not any(p.email in text for p in people)


def test_no_small_number_is_shown_in_html_or_csv(written):
    html = (written / REPORT_FILE).read_text(encoding="utf-8")
    shown = [int(n) for n in re.findall(r"<td>(\d+) \(\d+%\)</td>", html)]
    assert shown and min(shown) >= SIZE
    for name, column in (
        ("funnel", "participants"),
        ("stalls", "participants"),
        ("time_to_complete", "completed"),
        ("changes", "pairs"),
        ("departments", "registered"),
        ("departments", "tier1_certificates"),
        ("departments", "tier2_certificates"),
    ):
        table = pd.read_csv(written / CSV_FILES[name])
        values = table[column].dropna()
        assert (values >= SIZE).all(), (name, column)
        assert (
            table.loc[table["suppressed"], column].isna().all() or name == "departments"
        )


def test_csv_files_hold_the_tables(big, written):
    funnel = pd.read_csv(written / CSV_FILES["funnel"])

    assert list(funnel.columns) == list(big.evaluation.funnel.columns)
    assert funnel["participants"].sum() == big.evaluation.funnel["participants"].sum()
    assert (written / COACHES_CSV).is_file()


def test_a_plain_report_removes_a_stale_coaches_csv(big, config, tmp_path):
    write_report(big.evaluation, tmp_path)
    assert (tmp_path / COACHES_CSV).is_file()

    plain = evaluate(big.responses, big.recon, config)
    write_report(plain, tmp_path)

    assert not (tmp_path / COACHES_CSV).exists()
    assert "Coaches only" not in (tmp_path / REPORT_FILE).read_text(encoding="utf-8")


def test_the_html_loads_nothing_from_outside(written):
    html = (written / REPORT_FILE).read_text(encoding="utf-8")

    assert not re.search(r"""(src|href)=["'](?!data:)""", html)
    assert "http" not in html and "<script" not in html


# The sample cohort and the command line.


def test_sample_cohort_suppresses_every_quarter(sample_workspace, config):
    pulled = pull(sample_workspace.forms(), config)
    recon = reconcile(
        pulled.responses, sample_workspace.decisions(), config, SAMPLE_NOW
    )

    evaluation = evaluate(pulled.responses, recon, config)

    funnel = evaluation.funnel
    quarters = funnel[funnel["cohort"] != ALL]
    assert quarters["suppressed"].all()
    registered = funnel[(funnel["cohort"] == ALL) & (funnel["step"] == "T1.register")]
    assert registered["participants"].tolist() == [len(EXPECTED["participants"])]


def _run(args):
    return CliRunner().invoke(cli, args)


def test_cli_report_writes_html_and_csvs(sample_workspace, tmp_path):
    out = tmp_path / "evaluation"

    result = _run(
        [
            "report",
            "-w",
            str(sample_workspace.root),
            "--now",
            EXPECTED["now"],
            "--out",
            str(out),
        ]
    )

    assert result.exit_code == 0, result.output
    assert f"report: {out / REPORT_FILE}" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [REPORT_FILE, *CSV_FILES.values()]
    )
    assert "Coaches only" not in (out / REPORT_FILE).read_text(encoding="utf-8")


def test_cli_report_defaults_to_the_workspace_and_adds_coaches_when_asked(
    sample_workspace,
):
    result = _run(
        [
            "report",
            "-w",
            str(sample_workspace.root),
            "--now",
            EXPECTED["now"],
            "--coaches",
        ]
    )

    assert result.exit_code == 0, result.output
    out = sample_workspace.root / "report"
    assert (out / COACHES_CSV).is_file()
    assert "Coaches only" in (out / REPORT_FILE).read_text(encoding="utf-8")
    assert "for coaches only" in result.output


def test_cli_report_with_a_bad_setting_exits_2_naming_it(sample_workspace, tmp_path):
    config = _config_with(tmp_path, "[evaluation]\nmin_group_size = 0\n\n")

    result = _run(
        [
            "report",
            "-w",
            str(sample_workspace.root),
            "--config",
            str(config.config_dir),
            "--now",
            EXPECTED["now"],
        ]
    )

    assert result.exit_code == 2
    assert "evaluation.min_group_size" in result.output
