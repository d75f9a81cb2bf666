"""A synthetic cohort with known truth, shaped as the Forms API returns it.

``generate`` plans every participant first (cohort, department, how far they
got, every date, every rating), then writes the responses that plan implies,
as ``forms.responses.list`` pages built against the kit's own forms (question
ids are looked up by title in ``forms/<form>.json``). ``Truth`` is computed
from the plan alone, never from pmc-sync, so that a test can compare the
evaluation with it.

Progress is a prefix of ``STAGES``: a participant at stage k did steps 0..k,
in order, with dates that follow RULES.md (Tier 2 work after the Tier 1
certificate, weekly reflections on or after the mentoring start date, and so
on). Self-assessment ratings are integers 1-7; each competency has a known
effect (the mean shift from pre to post before rounding and clipping), and
``Truth`` holds the realised mean change of the pairs actually written.

Edge cases it adds on purpose: registration emails typed with capitals and
spaces, department names with odd spacing and case, a tiny cohort (3 people
in one quarter), small departments, a step at which only 3 people stall,
withdrawn participants, a mentee who resubmits (only the latest counts) and
a mentee assessment naming someone who never registered (never counts).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Each stage is the step a participant did last; reaching one means every
# earlier one was done too. T2.pre's response also names the mentee.
STAGES = (
    "T1.register",
    "T1.pre",
    "T1.fundamentals",
    "T1.mondays",
    "T1.post",
    "T1.capstone",
    "T2.pre",
    "T2.compact",
    "T2.outline",
    "T2.reflections",
    "T2.training",
    "T2.period",
    "T2.post",
    "T2.coaching",
    "T2.portfolio",
)
# The stage after which each requirement holds.
REQUIREMENT_STAGE = {
    "T1.register": "T1.register",
    "T1.pre": "T1.pre",
    "T1.fundamentals": "T1.fundamentals",
    "T1.mondays": "T1.mondays",
    "T1.post": "T1.post",
    "T1.capstone": "T1.capstone",
    "T1.complete": "T1.capstone",
    "T2.mentee": "T2.pre",
    "T2.pre": "T2.pre",
    "T2.compact": "T2.compact",
    "T2.outline": "T2.outline",
    "T2.reflections": "T2.reflections",
    "T2.training": "T2.training",
    "T2.period": "T2.period",
    "T2.post": "T2.post",
    "T2.coaching": "T2.coaching",
    "T2.portfolio": "T2.portfolio",
    "T2.complete": "T2.portfolio",
}
# The first open requirement of someone whose last step is the key.
NEXT_OPEN = {
    "T1.register": "T1.pre",
    "T1.pre": "T1.fundamentals",
    "T1.fundamentals": "T1.mondays",
    "T1.mondays": "T1.post",
    "T1.post": "T1.capstone",
    "T1.capstone": "T2.mentee",
    "T2.pre": "T2.compact",
    "T2.compact": "T2.outline",
    "T2.outline": "T2.reflections",
    "T2.reflections": "T2.training",
    "T2.training": "T2.period",
    "T2.period": "T2.post",
    "T2.post": "T2.coaching",
    "T2.coaching": "T2.portfolio",
}
# How likely each stage is as the last one reached (the main cohorts).
STAGE_WEIGHTS = {
    "T1.register": 4,
    "T1.pre": 6,
    "T1.fundamentals": 8,
    "T1.mondays": 6,
    "T1.post": 4,
    "T1.capstone": 22,
    "T2.pre": 6,
    "T2.compact": 0,  # exactly SMALL_STALL people stop here
    "T2.outline": 3,
    "T2.reflections": 4,
    "T2.training": 3,
    "T2.period": 3,
    "T2.post": 3,
    "T2.coaching": 4,
    "T2.portfolio": 24,
}
SMALL_STALL = ("T2.compact", 3)
DEPARTMENTS = {
    "Biology": 6,
    "Chemistry": 5,
    "Medicine": 8,
    "Neurology": 4,
    "Physics": 4,
    "Bioengineering": 3,
    "Genetics": 3,
    "Economics": 2,
}
RARE_DEPARTMENTS = ("Astronomy", "Astronomy", "Music")
# Mean pre -> post shift per competency, in the order of the form's rows.
T1_EFFECTS = (0.8, 0.6, 1.2, 1.0, 0.4, 0.9, 0.5, 0.0)
T2_EFFECTS = (0.5, 0.3, 0.6, 0.8, 0.7, 0.2, 0.4, 0.0)
FIRST_REGISTRATION = dt.date(2025, 1, 1)
LAST_REGISTRATION = dt.date(2026, 6, 30)
TINY_COHORT = (dt.date(2026, 7, 6), 3)  # 2026-Q3: three people
NOW = dt.datetime(2027, 6, 30, 18, 0, tzinfo=dt.UTC)
PAGE_SIZE = 200
MIN_PEOPLE = 20
GRID_TITLE = {
    "t1_pre": "How confident are you in each of these mentoring skills?",
    "mentee_assessment": "How well does your mentor do each of these?",
}


@dataclass
class Person:
    email: str
    typed_email: str
    full_name: str
    department: str
    department_typed: str
    registered: dt.date
    stage: str
    withdrawn: bool = False
    dates: dict[str, dt.date] = field(default_factory=dict)
    ratings: dict[str, list[int]] = field(default_factory=dict)

    @property
    def sheet_id(self) -> str:
        """The id of their checklist copy (no such sheet exists)."""
        return f"1SYN{self.email.split('@')[0]}".ljust(44, "x")

    @property
    def cohort(self) -> str:
        return f"{self.registered.year}-Q{(self.registered.month - 1) // 3 + 1}"

    def reached(self, stage: str) -> bool:
        return STAGES.index(self.stage) >= STAGES.index(stage)


@dataclass
class Truth:
    """What the evaluation must find, computed from the plan alone."""

    people: list[Person]
    competencies: list[str]
    mentee_ratings: list[tuple[str, list[int]]]  # (mentor, ratings), counted ones

    def registered(self, cohort: str = "All") -> int:
        return sum(1 for p in self.people if cohort in ("All", p.cohort))

    def met(self, requirement: str, cohort: str = "All") -> int:
        stage = REQUIREMENT_STAGE[requirement]
        return sum(
            1 for p in self.people if cohort in ("All", p.cohort) and p.reached(stage)
        )

    def cohorts(self) -> list[str]:
        return sorted({p.cohort for p in self.people})

    def tier_days(self, tier: str, cohort: str = "All") -> list[int]:
        start, end = {
            "Tier 1": ("register", "capstone"),
            "Tier 2": ("capstone", "portfolio"),
        }[tier]
        return [
            (p.dates[end] - p.dates[start]).days
            for p in self.people
            if cohort in ("All", p.cohort) and end in p.dates
        ]

    def stalls(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.people:
            if p.stage == STAGES[-1]:
                continue
            step = "withdrawn" if p.withdrawn else NEXT_OPEN[p.stage]
            counts[step] = counts.get(step, 0) + 1
        return counts

    def changes(self, tier: str) -> dict[str, tuple[int, float]]:
        """Competency -> (pairs, mean of post minus pre)."""
        pre, post = {"Tier 1": ("t1_pre", "t1_post"), "Tier 2": ("t2_pre", "t2_post")}[
            tier
        ]
        pairs = [p for p in self.people if pre in p.ratings and post in p.ratings]
        out = {}
        for i, competency in enumerate(self.competencies):
            diffs = [p.ratings[post][i] - p.ratings[pre][i] for p in pairs]
            out[competency] = (len(diffs), float(np.mean(diffs)) if diffs else math.nan)
        return out

    def departments(self, size: int) -> dict[str, tuple[int, int, int]]:
        """Department (small ones pooled) -> (registered, Tier 1, Tier 2)."""
        counts: dict[str, int] = {}
        for p in self.people:
            counts[p.department] = counts.get(p.department, 0) + 1
        out: dict[str, list[int]] = {}
        for p in self.people:
            name = p.department if counts[p.department] >= size else "Other departments"
            row = out.setdefault(name, [0, 0, 0])
            row[0] += 1
            row[1] += p.reached("T1.capstone")
            row[2] += p.reached("T2.portfolio")
        return {k: tuple(v) for k, v in out.items()}

    def mentee_means(self) -> dict[str, tuple[int, int, float]]:
        """Competency -> (assessments, mentors, mean rating)."""
        mentors = len({m for m, _ in self.mentee_ratings})
        return {
            c: (
                len(self.mentee_ratings),
                mentors,
                float(np.mean([r[i] for _, r in self.mentee_ratings])),
            )
            for i, c in enumerate(self.competencies)
        }


@dataclass
class Cohort:
    pages: dict[str, list[dict[str, Any]]]
    staff_decisions: dict[str, Any]
    truth: Truth
    now: dt.datetime = NOW

    def write(self, folder: Path) -> Path:
        """Lay the cohort out as the kit's sample is; return the folder."""
        folder = Path(folder)
        for form, pages in self.pages.items():
            target = folder / "responses" / form
            target.mkdir(parents=True, exist_ok=True)
            for number, page in enumerate(pages, start=1):
                (target / f"page-{number:03d}.json").write_text(
                    json.dumps(page, indent=1), encoding="utf-8"
                )
        (folder / "checklists").mkdir(parents=True, exist_ok=True)
        (folder / "staff-decisions.json").write_text(
            json.dumps(self.staff_decisions, indent=1), encoding="utf-8"
        )
        return folder


class _Forms:
    """Question ids by title, read from the kit's ``forms/<form>.json``."""

    def __init__(self, forms_dir: Path) -> None:
        self.forms = {
            p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in Path(forms_dir).glob("*.json")
        }

    def form_id(self, form: str) -> str:
        return self.forms[form]["formId"]

    def collects_email(self, form: str) -> bool:
        setting = self.forms[form].get("settings", {}).get("emailCollectionType", "")
        return setting not in ("", "DO_NOT_COLLECT")

    def qid(self, form: str, title: str) -> str:
        for item in self.forms[form]["items"]:
            question = item.get("questionItem", {}).get("question")
            if question and item.get("title", "").strip() == title:
                return question["questionId"]
        raise KeyError(f"form {form!r} has no question {title!r}")

    def grid(self, form: str, title_start: str) -> list[tuple[str, str]]:
        """(row title, question id) of the grid whose title starts so."""
        for item in self.forms[form]["items"]:
            group = item.get("questionGroupItem")
            if group and item.get("title", "").startswith(title_start):
                return [
                    (q["rowQuestion"]["title"], q["questionId"])
                    for q in group["questions"]
                ]
        raise KeyError(f"form {form!r} has no grid titled {title_start!r}...")

    def titles(self, form: str) -> list[tuple[str, str]]:
        return [
            (item.get("title", ""), item["questionItem"]["question"]["questionId"])
            for item in self.forms[form]["items"]
            if "questionItem" in item
        ]


class _Writer:
    """Builds response objects and pages, with deterministic ids."""

    ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

    def __init__(self, forms: _Forms, rng: np.random.Generator) -> None:
        self.forms = forms
        self.rng = rng
        self.responses: dict[str, list[dict[str, Any]]] = {k: [] for k in forms.forms}

    def _id(self, length: int) -> str:
        picks = self.rng.integers(0, len(self.ALPHABET), size=length)
        return "".join(self.ALPHABET[i] for i in picks)

    def add(
        self,
        form: str,
        email: str,
        on: dt.date,
        text: dict[str, str | list[str]] | None = None,
        files: list[str] | None = None,
        minute: int = 0,
    ) -> None:
        stamp = f"{on.isoformat()}T18:{minute % 60:02d}:00.000Z"
        answers: dict[str, Any] = {}
        for qid, value in (text or {}).items():
            values = value if isinstance(value, list) else [value]
            answers[qid] = {
                "questionId": qid,
                "textAnswers": {"answers": [{"value": v} for v in values]},
            }
        for qid in files or []:
            answers[qid] = {
                "questionId": qid,
                "fileUploadAnswers": {
                    "answers": [
                        {
                            "fileId": self._id(33),
                            "fileName": "document.pdf",
                            "mimeType": "application/pdf",
                        }
                    ]
                },
            }
        response: dict[str, Any] = {
            "formId": self.forms.form_id(form),
            "responseId": "ACYDBN" + self._id(58),
            "createTime": stamp,
            "lastSubmittedTime": stamp,
            "answers": answers,
        }
        if self.forms.collects_email(form):
            response["respondentEmail"] = email
        self.responses[form].append(response)

    def pages(self) -> dict[str, list[dict[str, Any]]]:
        out = {}
        for form, responses in self.responses.items():
            chunks = [
                responses[i : i + PAGE_SIZE]
                for i in range(0, max(len(responses), 1), PAGE_SIZE)
            ]
            pages = []
            for number, chunk in enumerate(chunks):
                page: dict[str, Any] = {"responses": chunk} if chunk else {}
                if number < len(chunks) - 1:
                    page["nextPageToken"] = self._id(40)
                pages.append(page)
            out[form] = pages
        return out


def _plan(n: int, rng: np.random.Generator) -> list[Person]:
    stages = list(STAGE_WEIGHTS)
    weights = np.array(list(STAGE_WEIGHTS.values()), dtype=float)
    main = n - TINY_COHORT[1]
    drawn = list(rng.choice(stages, size=main, p=weights / weights.sum()))
    small_stage, small_count = SMALL_STALL
    for i in range(small_count):
        drawn[i] = small_stage
    span = (LAST_REGISTRATION - FIRST_REGISTRATION).days
    days = rng.integers(0, span + 1, size=main)
    registered = [FIRST_REGISTRATION + dt.timedelta(days=int(d)) for d in days]
    tiny_day, tiny_count = TINY_COHORT
    drawn += ["T1.capstone", "T1.pre", "T1.register"][:tiny_count]
    registered += [tiny_day + dt.timedelta(days=i) for i in range(tiny_count)]
    names = list(DEPARTMENTS)
    dept_weights = np.array(list(DEPARTMENTS.values()), dtype=float)
    departments = list(rng.choice(names, size=n, p=dept_weights / dept_weights.sum()))
    for offset, rare in enumerate(RARE_DEPARTMENTS):
        departments[10 + offset] = rare
    people = []
    for i in range(n):
        email = f"postdoc{i:04d}@example.edu"
        typed = f" Postdoc{i:04d}@Example.EDU " if i % 10 == 0 else email
        department = str(departments[i])
        typed_department = f"  {department.lower()} " if i % 7 == 0 else department
        people.append(
            Person(
                email=email,
                typed_email=typed,
                full_name=f"Synthetic Person{i:04d}",
                department=department,
                department_typed=typed_department,
                registered=registered[i],
                stage=str(drawn[i]),
            )
        )
    unfinished = [p for p in people if not p.reached("T2.portfolio")]
    for p in unfinished[5 : 5 + 12]:
        p.withdrawn = True
    return people


def _rate(
    rng: np.random.Generator, base: np.ndarray, effects: tuple[float, ...]
) -> np.ndarray:
    shifted = base + np.array(effects) + rng.normal(0, 0.8, size=len(effects))
    return np.clip(np.rint(shifted), 1, 7).astype(int)


def generate(forms_dir: Path, n: int = 500, seed: int = 20261130) -> Cohort:
    """A cohort of ``n`` participants built against the forms in ``forms_dir``."""
    if n < MIN_PEOPLE:
        raise ValueError(f"n must be at least {MIN_PEOPLE} (the edge cases), got {n}")
    rng = np.random.default_rng(seed)
    forms = _Forms(forms_dir)
    writer = _Writer(forms, rng)
    grid = forms.grid("t1_pre", GRID_TITLE["t1_pre"])
    competencies = [title for title, _ in grid]
    grids = {
        form: [qid for _, qid in forms.grid(form, GRID_TITLE["t1_pre"])]
        for form in ("t1_pre", "t1_post", "t2_pre", "t2_post")
    }
    mentee_grid = [
        qid
        for _, qid in forms.grid("mentee_assessment", GRID_TITLE["mentee_assessment"])
    ]
    q = forms.qid
    people = _plan(n, rng)
    mentee_ratings: list[tuple[str, list[int]]] = []
    for number, p in enumerate(people):
        _write_person(p, number, writer, grids, mentee_grid, rng, mentee_ratings)
    writer.add(
        "mentee_assessment",
        "stranger@example.org",
        dt.date(2026, 1, 5),
        {
            q("mentee_assessment", "Your mentor's email"): "nobody@example.edu",
            **dict(zip(mentee_grid, ["1"] * len(mentee_grid))),
        },
    )
    decisions = {
        "elective_approvals": [],
        "fundamentals_substitutions": [],
        "aliases": {},
        "withdrawn": [p.email for p in people if p.withdrawn],
        "dismissed_unmatched": [],
    }
    return Cohort(
        pages=writer.pages(),
        staff_decisions=decisions,
        truth=Truth(people, competencies, mentee_ratings),
    )


def _write_person(
    p: Person,
    number: int,
    writer: _Writer,
    grids: dict[str, list[str]],
    mentee_grid: list[str],
    rng: np.random.Generator,
    mentee_ratings: list[tuple[str, list[int]]],
) -> None:
    """Add every response that one participant's plan implies."""
    forms = writer.forms
    q = forms.qid
    competencies = grids["t1_pre"]
    d = p.dates
    d["register"] = p.registered
    writer.add(
        "registration",
        p.typed_email,
        p.registered,
        {
            q("registration", "Full name"): p.full_name,
            q("registration", "Preferred first name"): p.full_name.split()[1],
            q("registration", "Department or school"): p.department_typed,
            q("registration", "Link to your copy of the checklist"): (
                f"https://docs.google.com/spreadsheets/d/{p.sheet_id}/edit"
            ),
        },
    )

    def log(activity: str, on: dt.date, extra: dict | None = None) -> None:
        answers = {
            q("reflection", "Activity"): activity,
            q("reflection", "Date of the activity"): on.isoformat(),
            **(extra or {}),
        }
        writer.add("reflection", p.email, on, answers)

    def rate(form: str, on: dt.date, values: np.ndarray) -> None:
        p.ratings[form] = [int(v) for v in values]
        writer.add(form, p.email, on, dict(zip(grids[form], [str(v) for v in values])))

    def gap() -> dt.timedelta:
        return dt.timedelta(days=int(rng.integers(0, 31)))

    day = dt.timedelta(days=1)
    baseline = rng.normal(3.6, 1.0, size=len(competencies))
    if p.reached("T1.pre"):
        d["pre"] = p.registered + day
        rate("t1_pre", d["pre"], np.clip(np.rint(baseline), 1, 7))
    if p.reached("T1.fundamentals"):
        d["fundamentals"] = p.registered + 8 * day + gap()
        log(
            "Mentoring Fundamentals",
            d["fundamentals"],
            {q("reflection", "Did you attend the full workshop (both days)?"): "Yes"},
        )
    mondays = 4 if p.reached("T1.mondays") else 0
    if p.stage == "T1.fundamentals":
        mondays = int(rng.integers(0, 4))
    for k in range(1, mondays + 1):
        log("Mentoring Monday", d["fundamentals"] + 7 * k * day)
    if p.reached("T1.mondays"):
        d["mondays"] = d["fundamentals"] + 28 * day
    if p.reached("T1.post"):
        d["post"] = d["mondays"] + 2 * day + gap()
        pre = np.array(p.ratings["t1_pre"], dtype=float)
        rate("t1_post", d["post"], _rate(rng, pre, T1_EFFECTS))
    if p.reached("T1.capstone"):
        d["capstone"] = d["post"] + 3 * day + gap()
        answers = {
            qid: "A thoughtful answer." for title, qid in forms.titles("t1_capstone")
        }
        writer.add("t1_capstone", p.email, d["capstone"], answers)
    if p.reached("T2.pre"):
        start = d["capstone"] + 3 * day + gap()
        d["t2_pre"] = start
        post1 = np.array(p.ratings["t1_post"], dtype=float)
        values = np.clip(np.rint(post1 + rng.normal(0, 0.5, len(post1))), 1, 7)
        p.ratings["t2_pre"] = [int(v) for v in values]
        answers = dict(zip(grids["t2_pre"], [str(int(v)) for v in values]))
        answers[q("t2_pre", "Your mentee's name")] = f"Mentee {number}"
        answers[q("t2_pre", "Mentoring start date")] = start.isoformat()
        writer.add("t2_pre", p.email, start, answers)
    if p.reached("T2.compact"):
        log("Mentoring compact", start + 5 * day)
    if p.reached("T2.outline"):
        log("Check-in outline", start + 6 * day)
    if p.reached("T2.reflections"):
        for k in range(1, 7):
            log("Weekly mentoring reflection", start + 7 * k * day)
    if p.reached("T2.training"):
        for k in range(4):
            log("Mentoring Monday", start + (8 + 7 * k) * day)
    if p.reached("T2.period"):
        log("Weekly mentoring reflection", start + 77 * day)
    if p.reached("T2.post"):
        pre2 = np.array(p.ratings["t2_pre"], dtype=float)
        rate("t2_post", start + 80 * day, _rate(rng, pre2, T2_EFFECTS))
    if p.reached("T2.coaching"):
        writer.add("coaching_feedback", p.email, start + 50 * day)
        log("Peer Mentor Coaching Session", start + 85 * day)
        if number % 5 != 0:
            mentee = f"mentee{number:04d}@example.org"
            first = rng.integers(3, 8, size=len(mentee_grid))
            mentor_typed = p.email.upper() if number % 3 == 0 else p.email
            writer.add(
                "mentee_assessment",
                mentee,
                start + 86 * day,
                {
                    q("mentee_assessment", "Your mentor's email"): mentor_typed,
                    **dict(zip(mentee_grid, [str(v) for v in first])),
                },
            )
            final = first
            if number % 4 == 0:  # the mentee thinks again: a new response
                final = rng.integers(2, 8, size=len(mentee_grid))
                writer.add(
                    "mentee_assessment",
                    mentee,
                    start + 88 * day,
                    {
                        q("mentee_assessment", "Your mentor's email"): p.email,
                        **dict(zip(mentee_grid, [str(v) for v in final])),
                    },
                )
            mentee_ratings.append((p.email, [int(v) for v in final]))
    if p.reached("T2.portfolio"):
        d["portfolio"] = start + 90 * day
        files = [
            q("t2_portfolio", title)
            for title in (
                "Mentoring compact",
                "Mentor-mentee check-in outline",
                "Mentoring philosophy statement",
            )
        ]
        writer.add(
            "t2_portfolio",
            p.email,
            d["portfolio"],
            {q("t2_portfolio", "Your university email"): p.email.upper()},
            files,
        )
