"""The evaluation as files: one static ``report.html`` and a CSV per table.

The HTML file stands alone: its plots are PNG images embedded as base64,
its style is inline, and it loads nothing, so it opens offline and can be
mailed as one attachment. Plots are drawn with matplotlib's Agg canvas
(no display, no global pyplot state). Suppressed groups appear as the word
"suppressed", never as a number; the CSV files leave their numbers blank
and say ``suppressed = True``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
from collections.abc import Callable
from pathlib import Path

import jinja2
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pmc_sync.config import Config
from pmc_sync.decisions import StaffDecisions
from pmc_sync.evaluation import ALL, Evaluation, evaluate
from pmc_sync.ports import FormSource
from pmc_sync.pull import pull
from pmc_sync.reconcile import reconcile

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
CSV_FILES = {
    "funnel": "funnel.csv",
    "time_to_complete": "time_to_complete.csv",
    "stalls": "stalls.csv",
    "changes": "assessment_change.csv",
    "departments": "departments.csv",
}
COACHES_CSV = "coaches_mentee_assessments.csv"
SUPPRESSED = "suppressed"
_WIDTH = 8.0  # inches; at 100 dpi an 800-pixel image
_DPI = 100
_BLUE = "#2b6cb0"
_GREY = "#8a8f98"


def write_report(
    evaluation: Evaluation, out_dir: Path, *, program_name: str = ""
) -> Path:
    """Write ``report.html`` and the CSV files into ``out_dir``; return the HTML.

    A coaches' CSV left in ``out_dir`` by an earlier ``--coaches`` report is
    removed when this report is not one, so the folder never holds
    confidential aggregates that its report does not show.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, file in CSV_FILES.items():
        getattr(evaluation, name).to_csv(out / file, index=False)
    coaches_csv = out / COACHES_CSV
    if evaluation.coaches is not None:
        evaluation.coaches.to_csv(coaches_csv, index=False)
    else:
        coaches_csv.unlink(missing_ok=True)
    html = render_html(evaluation, program_name=program_name)
    path = out / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    log.info("evaluation report written to %s", path)
    return path


def plots(evaluation: Evaluation) -> dict[str, tuple[str, bytes]]:
    """Each plot of the report: id -> (caption, PNG bytes)."""
    drawn: dict[str, tuple[str, Callable[[Figure], None], int]] = {
        "funnel": (
            "Participants who met each requirement (all cohorts)",
            lambda fig: _draw_funnel(fig, evaluation),
            18,
        ),
        "funnel-cohorts": (
            "Share of each cohort that met each requirement",
            lambda fig: _draw_cohorts(fig, evaluation),
            10,
        ),
        "time-to-complete": (
            "Days to complete each tier: median, and the middle half (IQR)",
            lambda fig: _draw_times(fig, evaluation),
            10,
        ),
        "stalls": (
            "Where participants who have not finished stand now",
            lambda fig: _draw_stalls(fig, evaluation),
            17,
        ),
    }
    for tier in evaluation.changes["tier"].drop_duplicates():
        rows = evaluation.changes[evaluation.changes["tier"] == tier]
        drawn[f"change-{tier.lower().replace(' ', '')}"] = (
            f"{tier}: change in self-assessed confidence, post minus pre "
            f"(mean and 95% CI)",
            lambda fig, rows=rows: _draw_forest(
                fig, rows, "mean_change", evaluation, zero=True
            ),
            len(rows) + 2,
        )
    if evaluation.coaches is not None:
        drawn["coaches-mentees"] = (
            "Mentee assessments of their mentors (1 = poorly, 7 = excellently)",
            lambda fig: _draw_forest(
                fig, evaluation.coaches, "mean", evaluation, zero=False, span=(1, 7)
            ),
            len(evaluation.coaches) + 2,
        )
    return {
        key: (caption, _png(draw, rows)) for key, (caption, draw, rows) in drawn.items()
    }


def _png(draw: Callable[[Figure], None], rows: int) -> bytes:
    fig = Figure(figsize=(_WIDTH, 1.2 + 0.32 * rows), dpi=_DPI)
    FigureCanvasAgg(fig)
    draw(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _suppressed_note(evaluation: Evaluation) -> str:
    return f"suppressed (fewer than {evaluation.min_group_size})"


def _nothing_to_show(fig: Figure, evaluation: Evaluation) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        f"Every group here is {_suppressed_note(evaluation)}",
        ha="center",
        va="center",
        color=_GREY,
        fontsize=12,
    )


def _hbars(
    fig: Figure,
    labels: list[str],
    values: pd.Series,
    evaluation: Evaluation,
    xlabel: str,
) -> None:
    if values.isna().all():
        _nothing_to_show(fig, evaluation)
        return
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    shown = values.fillna(0).astype(float).to_numpy()
    ax.barh(positions, shown, color=_BLUE)
    top = float(values.max())
    for y, value in zip(positions, values):
        if pd.isna(value):
            ax.text(0, y, " " + SUPPRESSED, va="center", color=_GREY, fontsize=8)
        else:
            ax.text(value, y, f" {int(value)}", va="center", fontsize=8)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)


def _draw_funnel(fig: Figure, evaluation: Evaluation) -> None:
    rows = evaluation.funnel[evaluation.funnel["cohort"] == ALL]
    _hbars(fig, list(rows["title"]), rows["participants"], evaluation, "participants")


def _draw_cohorts(fig: Figure, evaluation: Evaluation) -> None:
    table = evaluation.funnel[evaluation.funnel["cohort"] != ALL]
    wide = table.pivot(index="step", columns="cohort", values="share")
    steps = list(dict.fromkeys(table["step"]))
    wide = wide.reindex(steps).dropna(axis=1, how="all")
    if wide.empty:
        _nothing_to_show(fig, evaluation)
        return
    ax = fig.add_subplot()
    for cohort in wide.columns:
        ax.plot(range(len(steps)), wide[cohort].astype(float) * 100, marker="o")
    ax.set_xticks(range(len(steps)), steps, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("% of the cohort")
    ax.set_ylim(0, 105)
    ax.legend(list(wide.columns), fontsize=8, ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _draw_times(fig: Figure, evaluation: Evaluation) -> None:
    table = evaluation.time_to_complete
    if table["median_days"].isna().all():
        _nothing_to_show(fig, evaluation)
        return
    ax = fig.add_subplot()
    labels = [f"{t}, {c}" for t, c in zip(table["tier"], table["cohort"])]
    positions = list(range(len(labels)))[::-1]
    for y, row in zip(positions, table.itertuples(index=False)):
        if row.suppressed:
            ax.text(0, y, " " + SUPPRESSED, va="center", color=_GREY, fontsize=8)
            continue
        ax.plot([row.q1_days, row.q3_days], [y, y], color=_BLUE, linewidth=5)
        ax.plot([row.median_days], [y], "o", color="black")
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlim(left=0)
    ax.set_xlabel("days")
    ax.spines[["top", "right"]].set_visible(False)


def _draw_stalls(fig: Figure, evaluation: Evaluation) -> None:
    table = evaluation.stalls
    _hbars(fig, list(table["title"]), table["participants"], evaluation, "participants")


def _draw_forest(
    fig: Figure,
    rows: pd.DataFrame,
    column: str,
    evaluation: Evaluation,
    *,
    zero: bool,
    span: tuple[float, float] | None = None,
) -> None:
    if rows[column].isna().all():
        _nothing_to_show(fig, evaluation)
        return
    ax = fig.add_subplot()
    positions = list(range(len(rows)))[::-1]
    for y, low, mid, high in zip(
        positions, rows["ci_low"], rows[column], rows["ci_high"]
    ):
        if pd.isna(mid):
            ax.text(
                0.01,
                y,
                _suppressed_note(evaluation),
                va="center",
                color=_GREY,
                fontsize=8,
                transform=ax.get_yaxis_transform(),
            )
            continue
        ax.plot([low, high], [y, y], color=_BLUE, linewidth=2)
        ax.plot([mid], [y], "o", color="black")
    if zero:
        ax.axvline(0, color=_GREY, linewidth=1, linestyle="--")
    if span:
        ax.set_xlim(*span)
    ax.set_yticks(positions, list(rows["competency"]), fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _fmt(value: object, kind: str) -> str:
    if pd.isna(value):
        return ""
    if kind == "int":
        return f"{int(value)}"
    if kind == "pct":
        return f"{float(value) * 100:.0f}%"
    if kind == "days":
        return f"{float(value):.1f}"
    return f"{float(value):+.2f}" if kind == "signed" else f"{float(value):.2f}"


def _cells(frame: pd.DataFrame, kinds: dict[str, str]) -> list[list[str]]:
    """Table body as text; a suppressed number reads "suppressed".

    Every blank number in an evaluation table is a suppressed one.
    """
    body = []
    for row in frame.to_dict("records"):
        hidden = bool(row.get("suppressed"))
        body.append(
            [
                (
                    str(row[column])
                    if kind == "text"
                    else (
                        SUPPRESSED
                        if hidden or pd.isna(row[column])
                        else _fmt(row[column], kind)
                    )
                )
                for column, kind in kinds.items()
            ]
        )
    return body


def _with_ci(body: list[list[str]]) -> list[list[str]]:
    """Join the last two cells (CI low, CI high) into one "low to high"."""
    return [
        row[:-2] + [SUPPRESSED if SUPPRESSED in row[-2:] else f"{row[-2]} to {row[-1]}"]
        for row in body
    ]


def _funnel_table(evaluation: Evaluation) -> tuple[list[str], list[list[str]]]:
    funnel = evaluation.funnel
    cohorts = list(dict.fromkeys(funnel["cohort"]))
    body = []
    for _, rows in funnel.groupby("step", sort=False):
        by_cohort = rows.set_index("cohort")
        line = [str(rows["title"].iloc[0])]
        for cohort in cohorts:
            cell = by_cohort.loc[cohort]
            line.append(
                SUPPRESSED
                if cell["suppressed"]
                else f"{int(cell['participants'])} ({_fmt(cell['share'], 'pct')})"
            )
        body.append(line)
    return ["Requirement", *cohorts], body


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; color: #1a202c; margin: 0;
  background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin-bottom: 4px; }
h2 { font-size: 20px; margin-top: 36px; border-bottom: 2px solid #e2e8f0; }
.meta, .note { color: #4a5568; }
figure { margin: 16px 0; }
figure img { max-width: 100%; display: block; }
figcaption { color: #4a5568; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #e2e8f0; padding: 3px 8px; text-align: right; }
th.t, td.t { text-align: left; }
thead th { background: #f7fafc; }
td.sup { color: #8a8f98; font-style: italic; }
section.coaches { border: 3px solid #c53030; padding: 0 16px 8px;
  margin-top: 36px; }
section.coaches h2 { color: #c53030; border: none; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p class="meta">Program evaluation as of {{ as_of }}. Aggregates only: no
names, email addresses or response ids appear here. Any group of fewer than
{{ size }} people is shown as <em>suppressed</em>, never as a number.</p>
{% macro table(head, body, left=1) -%}
<table><thead><tr>{% for h in head %}
<th{% if loop.index0 < left %} class="t"{% endif %}>{{ h }}</th>
{%- endfor %}</tr></thead>
<tbody>{% for row in body %}<tr>{% for cell in row %}
<td{% if loop.index0 < left %} class="t"{% elif cell == "suppressed" %} class="sup"
{%- endif %}>{{ cell }}</td>
{%- endfor %}</tr>{% endfor %}</tbody></table>
{%- endmacro %}
{% macro plot(key) -%}
<figure><img id="plot-{{ key }}" alt="{{ plots[key][0] }}"
 src="data:image/png;base64,{{ plots[key][1] }}">
<figcaption>{{ plots[key][0] }}</figcaption></figure>
{%- endmacro %}

<h2>Funnel</h2>
<p class="note">Registered, then each requirement, by cohort (the quarter of
registration). Each cell: participants who met it (share of the cohort).</p>
{{ plot("funnel") }}
{{ plot("funnel-cohorts") }}
{{ table(funnel_head, funnel_body) }}

<h2>Time to complete</h2>
<p class="note">Tier 1: from registration to the Tier 1 certificate. Tier 2:
from the Tier 1 certificate to the Tier 2 certificate. Days, median and
quartiles (Q1, Q3); the interquartile range (IQR) is their difference.</p>
{{ plot("time-to-complete") }}
{{ table(time_head, time_body, 2) }}

<h2>Where people stall</h2>
<p class="note">Participants without both certificates, by their first open
requirement, with the median days since their last activity.</p>
{{ plot("stalls") }}
{{ table(stall_head, stall_body) }}

<h2>Change in self-assessed confidence</h2>
<p class="note">Each participant's earliest counted pre-assessment paired with
their latest counted post-assessment of the same tier; the change is post
minus pre on the 1-7 scale, per competency, with a 95% confidence interval
(Student's t on the paired differences).</p>
{% for key in change_keys %}{{ plot(key) }}{% endfor %}
{{ table(change_head, change_body, 2) }}

<h2>Departments</h2>
<p class="note">Departments with fewer than {{ size }} participants are
pooled as "Other departments".</p>
{{ table(department_head, department_body) }}

{% if coaches_body is not none %}
<section class="coaches">
<h2>Coaches only: mentee assessments (confidential)</h2>
<p class="note">For peer mentor coaches. Do not share with mentors. Only
assessments naming a registered participant count, the latest per mentee and
mentor; a competency needs {{ size }} assessments about {{ size }} different
mentors to be shown.</p>
{{ plot("coaches-mentees") }}
{{ table(coaches_head, coaches_body) }}
</section>
{% endif %}
</main>
</body>
</html>
"""


def render_html(evaluation: Evaluation, *, program_name: str = "") -> str:
    """The whole report as one HTML document."""
    images = {
        key: (caption, base64.b64encode(png).decode("ascii"))
        for key, (caption, png) in plots(evaluation).items()
    }
    funnel_head, funnel_body = _funnel_table(evaluation)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)
    coaches = evaluation.coaches
    return template.render(
        title=f"{program_name or 'Program'} evaluation",
        as_of=evaluation.as_of.isoformat(),
        size=evaluation.min_group_size,
        plots=images,
        change_keys=[k for k in images if k.startswith("change-")],
        funnel_head=funnel_head,
        funnel_body=funnel_body,
        time_head=["Tier", "Cohort", "Completed", "Median", "Q1", "Q3", "IQR"],
        time_body=_cells(
            evaluation.time_to_complete,
            {
                "tier": "text",
                "cohort": "text",
                "completed": "int",
                "median_days": "days",
                "q1_days": "days",
                "q3_days": "days",
                "iqr_days": "days",
            },
        ),
        stall_head=["First open requirement", "Participants", "Median days idle"],
        stall_body=_cells(
            evaluation.stalls,
            {"title": "text", "participants": "int", "median_days_idle": "days"},
        ),
        change_head=[
            "Tier",
            "Competency",
            "Pairs",
            "Mean pre",
            "Mean post",
            "Mean change",
            "95% CI",
        ],
        change_body=_with_ci(
            _cells(
                evaluation.changes,
                {
                    "tier": "text",
                    "competency": "text",
                    "pairs": "int",
                    "mean_pre": "num",
                    "mean_post": "num",
                    "mean_change": "signed",
                    "ci_low": "signed",
                    "ci_high": "signed",
                },
            )
        ),
        department_head=["Department", "Registered", "Tier 1", "Tier 2"],
        department_body=_cells(
            evaluation.departments,
            {
                "department": "text",
                "registered": "int",
                "tier1_certificates": "int",
                "tier2_certificates": "int",
            },
        ),
        coaches_head=["Competency", "Assessments", "Mentors", "Mean", "95% CI"],
        coaches_body=(
            None
            if coaches is None
            else _with_ci(
                _cells(
                    coaches,
                    {
                        "competency": "text",
                        "assessments": "int",
                        "mentors": "int",
                        "mean": "num",
                        "ci_low": "num",
                        "ci_high": "num",
                    },
                )
            )
        ),
    )


def report_from_source(
    forms: FormSource,
    decisions: StaffDecisions,
    config: Config,
    now: dt.datetime,
    out_dir: Path,
    *,
    coaches: bool = False,
) -> Path:
    """Read every form, reconcile as of ``now``, evaluate, write the report.

    Reads only: no run state, checklist or email is touched.
    """
    pulled = pull(forms, config)
    recon = reconcile(pulled.responses, decisions, config, now)
    evaluation = evaluate(
        pulled.responses, recon, config, decisions=decisions, coaches=coaches
    )
    return write_report(evaluation, out_dir, program_name=config.program_name)
