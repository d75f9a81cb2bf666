"""Benchmark pmc-sync on a synthetic cohort.

Builds a reproducible cohort laid out like the program kit, then times each
step of a run, each in a fresh process so that its peak memory is its own:

    init             pmc_sync.workspace.init_workspace (checklist CSV -> .xlsx)
    pull             pmc_sync.pull.pull over adapters.local_forms.LocalForms
    pull_with_state  the same, merged through the run state as a dry run does
    reconcile        pmc_sync.reconcile.reconcile alone, 3 runs, the median
    dry_run          pmc_sync.sync.run_sync(..., dry_run=True), the CLI's path

The cohort (``--out``, default a temporary folder removed at the end)::

    kit/forms/<form key>.json                      the kit's own forms
    kit/cohort/responses/<form key>/page-NNN.json  forms.responses.list pages
    kit/cohort/checklists/<spreadsheet id>.csv     copies of the template
    kit/cohort/staff-decisions.json
    workspace/                                     what init builds

Peak memory is ``ru_maxrss`` of the process that ran the step (interpreter
and imports included, as for the CLI), plus the tracemalloc peak of one extra,
untimed reconcile. Targets: reconcile under 5 s and every step's peak under
1 GiB; the exit status is 1 when one is missed. ``--profile`` runs each step
once more under cProfile and prints its heaviest functions.

    .venv/bin/python benchmarks/bench.py [--participants 2000] [--json]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import datetime as dt
import io
import json
import multiprocessing
import os
import platform
import pstats
import random
import resource
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEMO = Path(__file__).resolve().parent.parent / "pmc_sync" / "demo"
NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)
TIME_ZONE = ZoneInfo("America/Los_Angeles")  # program.time_zone in the kit
TODAY = NOW.astimezone(TIME_ZONE).date()
FIRST_REGISTRATION = dt.date(2023, 1, 9)
FIRST_FUNDAMENTALS = dt.date(2023, 1, 10)  # a Tuesday; every 6 weeks, 2 days
PAGE_SIZE = 500
RECONCILE_REPEATS = 3
TARGET_RECONCILE_S = 5.0
TARGET_PEAK_MIB = 1024.0
ID_CHARS = string.ascii_letters + string.digits + "-_"

FIRST_NAMES = (
    "Esperanza Dmitri Chiara Jonas Wei Bruno Avery Ibrahim Farah Kenji Hana "
    "Amara Björn Camila Darius Elif Felipe Grace Hiroshi Ingrid Jamal Kavya "
    "Lucía Mateo Nadia Oluwaseun Priya Quentin Rosa Santiago Tomás Uma Valeria "
    "Wanjiru Xavier Yusuf Zoë Anders Beatriz Chidi"
).split()
LAST_NAMES = (
    "Díaz Volkov Rossi Berg Gao Okafor Chen Musa Haddad Nakamura Sato Adeyemi "
    "Bjørnsen Castillo Dubois Eriksen Fernández García Hoffmann Ivanova Jensen "
    "Kowalski López Müller Novak O'Brien Patel Quispe Ramírez Schmidt Tanaka "
    "Ueda Vargas Weber Xu Yamamoto Zhang Abebe Banerjee Cohen"
).split()
DEPARTMENTS = (
    "Genetics",
    "Bioengineering",
    "Chemistry",
    "Neurobiology",
    "Earth System Science",
    "Economics",
    "Psychology",
    "Physics",
)
MONDAY_TOPICS = (
    "Mentoring Monday",
    "Giving feedback",
    "Mentoring across difference",
    "Aligning expectations",
    "Fostering independence",
)
ELECTIVES = (
    ("Inclusive mentoring", "Center for Teaching & Learning, https://ctl.example.edu"),
    ("Mentoring across career stages", "Graduate Education, https://ge.example.edu"),
    ("Teaching & Mentoring Academy", "Teaching Academy, https://tma.example.edu"),
)
LABELS = {
    "fundamentals": "Mentoring Fundamentals",
    "monday": "Mentoring Monday",
    "elective": "Elective workshop",
    "weekly_reflection": "Weekly mentoring reflection",
    "compact": "Mentoring compact",
    "outline": "Check-in outline",
    "coaching": "Peer Mentor Coaching Session",
}
PORTFOLIO_FILES = {
    "Mentoring compact": "compact.pdf",
    "Mentor-mentee check-in outline": "checkin.pdf",
    "Mentoring philosophy statement": "philosophy.pdf",
}


# --- the synthetic cohort -------------------------------------------------


@dataclass
class Submission:
    """One version of one response, before it is laid out as API JSON."""

    form: str
    email: str | None
    answers: dict[str, Any]
    created: dt.datetime
    response_id: str
    submitted: dt.datetime | None = None  # later than created when edited

    def payload(self, form_id: str) -> dict[str, Any]:
        last = self.submitted or self.created
        response = {
            "formId": form_id,
            "responseId": self.response_id,
            "createTime": _stamp(self.created),
            "lastSubmittedTime": _stamp(last),
            "answers": self.answers,
        }
        if self.email is not None:
            response["respondentEmail"] = self.email
        return response


@dataclass
class Person:
    """A registered participant (or, with no sheet, a visitor)."""

    email: str
    full_name: str
    preferred: str
    sheet_id: str
    registered: dt.date
    personal_email: str | None = None


@dataclass
class Decisions:
    """What staff will be said to have decided, gathered while drawing."""

    elective_candidates: list[str] = field(default_factory=list)
    substitutions: list[dict[str, str]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    withdrawn: list[str] = field(default_factory=list)
    unaliased: list[str] = field(default_factory=list)  # response ids


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o"))
    kept = decomposed.encode("ascii", "ignore").decode()
    return "".join(c for c in kept.lower() if c.isalnum())


def _mondays(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays from ``start`` to ``end``, none in the winter break."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    weeks = range((end - first).days // 7 + 1)
    days = (first + dt.timedelta(weeks=w) for w in weeks)
    return [day for day in days if (day.month, day.day) < (12, 22)]


class CohortBuilder:
    """Draws participants and their responses from one seeded generator."""

    def __init__(self, forms: dict[str, dict[str, Any]], seed: int) -> None:
        self.rng = random.Random(seed)
        self.qid: dict[str, dict[str, str]] = {}
        self.grid: dict[str, list[str]] = {}
        for key, form in forms.items():
            self.qid[key], self.grid[key] = {}, []
            for item in form["items"]:
                question = item.get("questionItem", {}).get("question")
                if question:
                    self.qid[key][item["title"]] = question["questionId"]
                for row in item.get("questionGroupItem", {}).get("questions", []):
                    self.grid[key].append(row["questionId"])
        self.submissions: list[Submission] = []
        self.people: list[Person] = []
        self.decisions = Decisions()
        self.taken: set[str] = set()

    # answers, as forms.responses.list returns them

    def token(self, length: int, prefix: str = "") -> str:
        return prefix + "".join(self.rng.choices(ID_CHARS, k=length))

    @staticmethod
    def _answer(qid: str, value: str) -> tuple[str, dict]:
        return qid, {"questionId": qid, "textAnswers": {"answers": [{"value": value}]}}

    def _text(self, form: str, title: str, value: str) -> tuple[str, dict]:
        return self._answer(self.qid[form][title], value)

    def _file(self, form: str, title: str, name: str) -> tuple[str, dict]:
        qid = self.qid[form][title]
        upload = {
            "fileId": self.token(33),
            "fileName": name,
            "mimeType": "application/pdf",
        }
        return qid, {"questionId": qid, "fileUploadAnswers": {"answers": [upload]}}

    def _scale(self, form: str) -> list[tuple[str, dict]]:
        """Every row of the form's grid, rated 2 to 7."""
        return [self._answer(q, str(self.rng.randint(2, 7))) for q in self.grid[form]]

    def _when(self, day: dt.date, late_days: int = 0) -> dt.datetime:
        """A local submission time on ``day``, or up to ``late_days`` after."""
        if late_days and self.rng.random() < 0.15:
            day += dt.timedelta(days=self.rng.randint(1, late_days))
        seconds = self.rng.randint(8 * 3600, 22 * 3600)
        local = dt.datetime.combine(day, dt.time(), TIME_ZONE)
        return local + dt.timedelta(
            seconds=seconds, microseconds=self.rng.randint(0, 999) * 1000
        )

    def _submit(
        self, form: str, email: str | None, day: dt.date, answers: list, late: int = 3
    ) -> Submission | None:
        created = self._when(day, late)
        if created > NOW:
            return None
        given = {  # the API leaves an unanswered question out
            qid: answer
            for qid, answer in answers
            if answer.get("textAnswers", {}).get("answers") != [{"value": ""}]
        }
        submission = Submission(form, email, given, created, self.token(60, "ACYDBN"))
        self.submissions.append(submission)
        return submission

    def _log(
        self, person: Person, kind: str, day: dt.date, **extra: str
    ) -> Submission | None:
        """An activity log, sometimes from an alias, sometimes sent twice."""
        email = person.email
        if person.personal_email and self.rng.random() < 0.3:
            email = person.personal_email
        answers = [
            self._text("reflection", "Activity", LABELS[kind]),
            self._text("reflection", "Date of the activity", day.isoformat()),
        ]
        for title, value in extra.items():
            answers.append(self._text("reflection", title, value))
        note = f"Notes on {LABELS[kind].lower()} ({day.isoformat()})."
        answers.append(
            self._text(
                "reflection",
                "Reflection: what did you learn, and how will you use it?",
                note,
            )
        )
        first = self._submit("reflection", email, day, answers)
        if first and self.rng.random() < 0.02:
            again = copy.deepcopy(first)
            again.created += dt.timedelta(minutes=self.rng.randint(1, 20))
            again.response_id = self.token(60, "ACYDBN")
            if again.created <= NOW:
                self.submissions.append(again)
        if first and email != person.email and email not in self.decisions.aliases:
            self.decisions.unaliased.append(first.response_id)
        return first

    # one participant's story

    def _new_person(self) -> Person:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{base}@example.edu", 1
        while email in self.taken:
            n += 1
            email = f"{base}{n}@example.edu"
        self.taken.add(email)
        span = (TODAY - FIRST_REGISTRATION).days - 10
        person = Person(
            email=email,
            full_name=f"{first} {last}",
            preferred=first if rng.random() < 0.8 else "",
            sheet_id=self.token(43, "1"),
            registered=FIRST_REGISTRATION + dt.timedelta(days=rng.randrange(span)),
        )
        if rng.random() < 0.015:
            person.personal_email = f"{base}.{n}@personal.example.org"
            if rng.random() < 0.7:
                self.decisions.aliases[person.personal_email] = email
        return person

    def _register(self, person: Person) -> None:
        rng = self.rng
        link = f"https://docs.google.com/spreadsheets/d/{person.sheet_id}/edit"
        if rng.random() < 0.01:
            link = rng.choice(
                [
                    "my checklist",
                    f"https://docs.google.com/document/d/{person.sheet_id}/edit",
                ]
            )
        typed = person.email
        if rng.random() < 0.03:
            typed = f" {person.email.title()} "
        times = 2 if rng.random() < 0.03 else 1
        for again in range(times):
            day = person.registered + dt.timedelta(days=again * rng.randint(1, 40))
            answers = [
                self._text("registration", "Full name", person.full_name),
                self._text("registration", "Preferred first name", person.preferred),
                self._text(
                    "registration", "Department or school", rng.choice(DEPARTMENTS)
                ),
                self._text("registration", "Faculty sponsor", "Prof. R. Alvarez"),
                self._text("registration", "Link to your copy of the checklist", link),
            ]
            self._submit("registration", typed, day, answers, late=0)

    def _mondays_attended(
        self, person: Person, start: dt.date, end: dt.date, rate: float
    ) -> list[dt.date]:
        attended = []
        for monday in _mondays(start + dt.timedelta(days=1), min(end, TODAY)):
            if self.rng.random() < rate:
                topic = {"Session title or topic": self.rng.choice(MONDAY_TOPICS)}
                if self._log(person, "monday", monday, **topic):
                    attended.append(monday)
        return attended

    def _tier1(self, person: Person, stop: dt.date, rate: float) -> dt.date | None:
        """Tier 1 logs and forms; the Tier 1 completion day, if reached."""
        rng, email, begin = self.rng, person.email, person.registered
        pre = None
        if rng.random() < 0.94:
            late = rng.random() < 0.05  # after the first Monday: out of order
            pre = begin + dt.timedelta(days=rng.randint(0, 10))
            if late:
                pre += dt.timedelta(days=rng.randint(20, 60))
            if not self._submit("t1_pre", email, pre, self._scale("t1_pre")):
                pre = None
            elif not late:
                begin = pre
        fundamentals = self._fundamentals(person, begin, stop)
        mondays = self._mondays_attended(person, begin, stop, rate)
        if not (pre and fundamentals and len(mondays) >= 4) or rng.random() > 0.85:
            return None
        unlocked = max(pre, fundamentals, mondays[3])
        early = rng.random() < 0.03  # before its unlock: out of order
        post = unlocked + dt.timedelta(
            days=-rng.randint(1, 20) if early else rng.randint(0, 30)
        )
        post = max(post, person.registered)
        useful = self._text(
            "t1_post", "What was the most useful part of Tier 1?", "The role plays."
        )
        if not self._submit("t1_post", email, post, [*self._scale("t1_post"), useful]):
            return None
        if rng.random() > 0.85:
            return None
        capstone = post + dt.timedelta(days=rng.randint(0, 30))
        blank = rng.randrange(6) if rng.random() < 0.06 else -1
        answers = [
            self._text(
                "t1_capstone",
                title,
                "" if i == blank else f"My answer about: {title[:30]}",
            )
            for i, title in enumerate(self.qid["t1_capstone"])
        ]
        if not self._submit("t1_capstone", email, capstone, answers) or blank >= 0:
            return None
        return max(unlocked, capstone)

    def _fundamentals(
        self, person: Person, begin: dt.date, stop: dt.date
    ) -> dt.date | None:
        """The first full attendance (a partial one may come first), or the
        approval day of a substitution."""
        rng = self.rng
        weeks = ((begin - FIRST_FUNDAMENTALS).days // 42 + 1) * 6
        session = FIRST_FUNDAMENTALS + dt.timedelta(weeks=weeks)
        for _ in range(2):
            if session > stop or rng.random() > 0.85:
                break
            full = "Yes" if rng.random() < 0.85 else "No"
            extra = {
                "Session title or topic": "Mentoring Fundamentals",
                "Did you attend the full workshop (both days)?": full,
            }
            if self._log(person, "fundamentals", session, **extra) and full == "Yes":
                return session
            session += dt.timedelta(weeks=6)
        approved = begin + dt.timedelta(days=rng.randint(10, 60))
        if rng.random() < 0.1 and approved <= TODAY:
            self.decisions.substitutions.append(
                {
                    "email": person.email,
                    "approved_on": approved.isoformat(),
                    "note": "OPA-facilitated mentoring workshop",
                }
            )
            return approved
        return None

    def _tier2(
        self, person: Person, t1_done: dt.date, rate: float, stop: dt.date
    ) -> None:
        rng, email = self.rng, person.email
        early = rng.random() < 0.03  # Tier 2 work begun before Tier 1 was complete
        pre_day = t1_done + dt.timedelta(
            days=-rng.randint(5, 30) if early else rng.randint(3, 60)
        )
        start = pre_day + dt.timedelta(days=rng.randint(0, 21))
        mentee = rng.choice(FIRST_NAMES) + " " + rng.choice(LAST_NAMES)
        answers = self._scale("t2_pre") + [
            self._text(
                "t2_pre", "Your mentee's name", "" if rng.random() < 0.04 else mentee
            ),
            self._text("t2_pre", "Your mentee's career stage", "Graduate student"),
            self._text(
                "t2_pre",
                "Mentoring context (research group, program, length)",
                "Lab rotation",
            ),
            self._text("t2_pre", "Mentoring start date", start.isoformat()),
            self._text(
                "t2_pre",
                "Your mentee's email (for the optional mentee assessment)",
                f"mentee.{_ascii(mentee)}@example.edu",
            ),
        ]
        if not self._submit("t2_pre", email, pre_day, answers):
            return
        weeks = rng.randint(10, 90)
        end = start + dt.timedelta(weeks=weeks)
        self._mondays_attended(person, stop, end, rate)
        for kind, chance in (("compact", 0.9), ("outline", 0.88)):
            if rng.random() < chance:
                self._log(person, kind, start + dt.timedelta(days=rng.randint(0, 28)))
        keep = rng.uniform(0.7, 0.95)
        for week in range(weeks):
            if rng.random() < keep:
                day = start + dt.timedelta(weeks=week, days=rng.randint(0, 4))
                self._log(person, "weekly_reflection", day)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 2, 3))):
            day = pre_day + dt.timedelta(days=rng.randint(-30, (end - pre_day).days))
            title, organizer = rng.choice(ELECTIVES)
            extra = {
                "Session title or topic": title,
                "Elective workshop: organizer and link to its description": organizer,
            }
            logged = self._log(person, "elective", day, **extra)
            if logged:
                self.decisions.elective_candidates.append(logged.response_id)
        if rng.random() < 0.8:
            feedback = start + dt.timedelta(weeks=6, days=rng.randint(0, 30))
            answers = [
                self._text("coaching_feedback", title, "Giving feedback.")
                for title in self.qid["coaching_feedback"]
            ]
            if (
                self._submit("coaching_feedback", email, feedback, answers)
                and rng.random() < 0.85
            ):
                offset = (
                    -rng.randint(1, 10) if rng.random() < 0.04 else rng.randint(3, 30)
                )
                self._log(person, "coaching", feedback + dt.timedelta(days=offset))
        if rng.random() < 0.75:
            self._submit(
                "t2_post",
                email,
                end + dt.timedelta(days=rng.randint(0, 21)),
                self._scale("t2_post"),
            )
        if rng.random() < 0.7:
            self._portfolio(person, end + dt.timedelta(days=rng.randint(0, 30)))
        if rng.random() < 0.3:
            self._mentee_assessment(person, mentee, end)

    def _portfolio(self, person: Person, day: dt.date) -> None:
        rng = self.rng
        typed = person.email.title() if rng.random() < 0.1 else person.email
        answers = [self._text("t2_portfolio", "Your university email", typed)]
        missing = rng.choice(list(PORTFOLIO_FILES)) if rng.random() < 0.08 else None
        for title, name in PORTFOLIO_FILES.items():
            if title != missing:
                answers.append(self._file("t2_portfolio", title, name))
        answers.append(
            self._text(
                "t2_portfolio",
                "Annotations: mentee, context, goals, what you learned",
                "Summer student.",
            )
        )
        self._submit("t2_portfolio", None, day, answers)

    def _mentee_assessment(self, person: Person, mentee: str, day: dt.date) -> None:
        answers = [
            self._text("mentee_assessment", "Your mentor's email", person.email),
            *self._scale("mentee_assessment"),
            self._text(
                "mentee_assessment",
                "Anything else you would like the program to know?",
                "CONFIDENTIAL-MENTEE-REMARK: thank you.",
            ),
        ]
        self._submit(
            "mentee_assessment", f"mentee.{_ascii(mentee)}@example.edu", day, answers
        )

    def _visitor(self, index: int) -> None:
        """Someone who logs Mondays without ever registering."""
        visitor = Person(f"visitor{index}@example.org", "", "", "", TODAY)
        day = FIRST_REGISTRATION + dt.timedelta(
            days=self.rng.randrange((TODAY - FIRST_REGISTRATION).days)
        )
        self._mondays_attended(visitor, day, day + dt.timedelta(weeks=8), 0.5)

    def _edit_some(self) -> None:
        """Edits keep the response id; a few show the old version too."""
        rng = self.rng
        date_qid = self.qid["reflection"]["Date of the activity"]
        for submission in list(self.submissions):
            if rng.random() >= 0.015:
                continue
            edited = submission.created + dt.timedelta(minutes=rng.randint(10, 4320))
            if edited > NOW:
                continue
            if rng.random() < 0.25:
                stale = copy.deepcopy(submission)
                if stale.form == "reflection":
                    answer = stale.answers[date_qid]["textAnswers"]["answers"][0]
                    day = dt.date.fromisoformat(answer["value"]) - dt.timedelta(days=1)
                    answer["value"] = day.isoformat()
                self.submissions.append(stale)
            submission.submitted = edited

    def build(self, participants: int) -> None:
        rng = self.rng
        for _ in range(participants):
            person = self._new_person()
            self.people.append(person)
            self._register(person)
            stop = person.registered + dt.timedelta(days=rng.randint(120, 1200))
            rate = rng.uniform(0.35, 0.9)
            t1_done = self._tier1(person, stop, rate)
            if t1_done and rng.random() < 0.6:
                self._tier2(person, t1_done, rate, stop)
            if rng.random() < 0.01:
                self.decisions.withdrawn.append(person.email)
        for index in range(max(3, participants // 100)):
            self._visitor(index)
        self._edit_some()

    def staff_decisions(self) -> dict[str, Any]:
        rng, chosen = self.rng, self.decisions
        return {
            "elective_approvals": [
                r for r in chosen.elective_candidates if rng.random() < 0.75
            ],
            "fundamentals_substitutions": chosen.substitutions,
            "aliases": chosen.aliases,
            "withdrawn": chosen.withdrawn,
            "dismissed_unmatched": chosen.unaliased[::2],
        }


def write_cohort(out: Path, participants: int, seed: int) -> dict[str, int]:
    """Write ``out/kit``; return counts of what was written."""
    kit = out / "kit"
    shutil.copytree(DEMO / "forms", kit / "forms")
    forms = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((kit / "forms").glob("*.json"))
    }
    builder = CohortBuilder(forms, seed)
    builder.build(participants)
    cohort = kit / "cohort"
    by_form: dict[str, list[Submission]] = {key: [] for key in forms}
    for submission in builder.submissions:
        by_form[submission.form].append(submission)
    pages = 0
    for key, submissions in by_form.items():
        submissions.sort(key=lambda s: s.submitted or s.created)
        payloads = [s.payload(forms[key]["formId"]) for s in submissions]
        folder = cohort / "responses" / key
        folder.mkdir(parents=True)
        chunks = [
            payloads[i : i + PAGE_SIZE] for i in range(0, len(payloads), PAGE_SIZE)
        ]
        for number, chunk in enumerate(chunks or [[]], start=1):
            page: dict[str, Any] = {"responses": chunk} if chunk else {}
            if number < len(chunks):
                page["nextPageToken"] = builder.token(40)
            text = json.dumps(page, indent=2)
            (folder / f"page-{number:03d}.json").write_text(text, encoding="utf-8")
        pages += max(1, len(chunks))
    (cohort / "checklists").mkdir()
    template = DEMO / "checklist-template.csv"
    for person in builder.people:
        shutil.copyfile(template, cohort / "checklists" / f"{person.sheet_id}.csv")
    decisions = builder.staff_decisions()
    (cohort / "staff-decisions.json").write_text(
        json.dumps(decisions, indent=2) + "\n", encoding="utf-8"
    )
    return {
        "participants": participants,
        "responses": len(builder.submissions),
        "pages": pages,
        "reflection_logs": len(by_form["reflection"]),
        "elective_approvals": len(decisions["elective_approvals"]),
        "aliases": len(decisions["aliases"]),
        "withdrawn": len(decisions["withdrawn"]),
    }


# --- the steps, each measured in its own process --------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(
    call: Callable[[], Any], profile: Path | None = None
) -> tuple[Any, dict[str, float]]:
    """Run ``call``; under cProfile (saved to ``profile``) when one is given.

    CPU seconds (this process) are given beside wall seconds: on a shared
    machine they move less with other work.
    """
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    result = profiler.runcall(call) if profiler else call()
    took = {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
    }
    if profiler:
        profiler.dump_stats(profile)
    return result, took


def step_init(out: Path, profile: Path | None = None) -> dict[str, Any]:
    from pmc_sync.config import load_config
    from pmc_sync.workspace import init_workspace

    config = load_config()
    kit, root = out / "kit", out / ("workspace-profile" if profile else "workspace")
    _, took = _timed(
        lambda: init_workspace(root, kit / "forms", kit / "cohort", config), profile
    )
    return took | {"peak_rss_mib": _peak_rss_mib()}


def step_pull(
    out: Path, with_state: bool, profile: Path | None = None
) -> dict[str, Any]:
    """``pull`` alone, or with the run state as a dry run reads it."""
    from pmc_sync.adapters.local_forms import LocalForms
    from pmc_sync.config import load_config
    from pmc_sync.pull import pull
    from pmc_sync.workspace import Workspace

    config = load_config()
    workspace = Workspace.open(out / "workspace", config)
    source = LocalForms(workspace.root)
    if with_state:
        state = workspace.state(read_only=True)
        pulled, took = _timed(lambda: pull(source, config, cache=state), profile)
        state.close()
    else:
        pulled, took = _timed(lambda: pull(source, config), profile)
    return took | {
        "peak_rss_mib": _peak_rss_mib(),
        "responses": len(pulled.responses),
        "pages": pulled.pages_read,
    }


def step_reconcile(out: Path, profile: Path | None = None) -> dict[str, Any]:
    """Pull (untimed), then time ``reconcile`` alone, repeatedly."""
    from pmc_sync.adapters.local_forms import LocalForms
    from pmc_sync.config import load_config
    from pmc_sync.pull import pull
    from pmc_sync.reconcile import reconcile
    from pmc_sync.workspace import Workspace

    config = load_config()
    workspace = Workspace.open(out / "workspace", config)
    responses = pull(LocalForms(workspace.root), config).responses
    decisions = workspace.decisions()
    before = _peak_rss_mib()

    def run() -> Any:
        return reconcile(responses, decisions, config, NOW)

    repeats = 1 if profile else RECONCILE_REPEATS
    runs = [_timed(run, profile)[1] for _ in range(repeats)]
    peak = _peak_rss_mib()
    tracemalloc.start()
    _, traced = _timed(run)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "runs": [r["seconds"] for r in runs],
        "peak_rss_mib": peak,
        "peak_rss_before_mib": before,
        "tracemalloc_peak_mib": traced_peak,
        "tracemalloc_seconds": traced["seconds"],
    }


def step_dry_run(out: Path, profile: Path | None = None) -> dict[str, Any]:
    from pmc_sync.config import load_config
    from pmc_sync.sync import run_sync, summary_counts
    from pmc_sync.workspace import Workspace

    config = load_config()
    workspace = Workspace.open(out / "workspace", config)
    result, took = _timed(
        lambda: run_sync(workspace, config, NOW, dry_run=True), profile
    )
    counts = summary_counts(result)
    keep = ("participants", "responses_read", "checklists", "emails_due")
    keep += ("unmatched", "flags", "problems", "exit_code")
    return took | {
        "peak_rss_mib": _peak_rss_mib(),
        "summary": {key: counts[key] for key in keep},
    }


STEPS: dict[str, tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]] = {
    "init": (step_init, ()),
    "pull": (step_pull, (False,)),
    "pull_with_state": (step_pull, (True,)),
    "reconcile": (step_reconcile, ()),
    "dry_run": (step_dry_run, ()),
}


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


# --- report ---------------------------------------------------------------


def machine() -> dict[str, Any]:
    import numpy
    import openpyxl
    import pandas

    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        models = [line for line in fh if line.startswith("model name")]
    if models:
        cpu = models[0].split(":", 1)[1].strip()
    with open("/proc/meminfo", encoding="utf-8") as fh:
        mem_kib = next(int(line.split()[1]) for line in fh if "MemTotal" in line)
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem_kib / 2**20, 1),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "openpyxl": openpyxl.__version__,
    }


def code_version() -> str:
    """The commit benchmarked, "+dirty" when pmc_sync/ or config/ has changes."""
    repo = DEMO.parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "pmc_sync", "config")
    return commit + ("+dirty" if dirty else "")


def top_functions(path: Path, limit: int = 15) -> str:
    """A profile's heaviest pmc_sync functions (cumulative), then all (own)."""
    stream = io.StringIO()
    stats = pstats.Stats(str(path), stream=stream)
    stats.sort_stats("cumulative").print_stats("pmc_sync", limit)
    stats.sort_stats("tottime").print_stats(limit)
    return stream.getvalue()


def print_table(results: dict[str, Any]) -> None:
    m, cohort, steps = results["machine"], results["cohort"], results["steps"]
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
        f"Python {m['python']}, pandas {m['pandas']}, numpy {m['numpy']}, "
        f"openpyxl {m['openpyxl']}; pmc_sync {results['code']}"
    )
    load = results["load_average"]
    print(f"load:    {load['before']:.2f} before, {load['after']:.2f} after (1 min)")
    print(
        f"cohort:  {cohort['participants']:,} participants, "
        f"{cohort['responses']:,} responses on {cohort['pages']:,} pages "
        f"(seed {results['seed']}, built in {cohort['seconds']:.1f} s)"
    )
    print()
    print(f"{'step':<20}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>14}")
    for name, step in steps.items():
        print(
            f"{name:<20}{step['seconds']:>9.2f}{step['cpu_seconds']:>9.2f}"
            f"{step['peak_rss_mib']:>14.0f}"
        )
    recon = steps["reconcile"]
    print()
    print(
        "reconcile: runs "
        + ", ".join(f"{s:.2f}" for s in recon["runs"])
        + f" s; RSS {recon['peak_rss_before_mib']:.0f} MiB before it"
        + f"; tracemalloc peak {recon['tracemalloc_peak_mib']:.0f} MiB"
        + f" (traced run {recon['tracemalloc_seconds']:.2f} s)"
    )
    print(f"dry run:   {json.dumps(steps['dry_run']['summary'])}")
    print()
    for name, target in results["targets"].items():
        verdict = "ok" if target["ok"] else "MISSED"
        cpu = f" ({target['cpu_seconds']:.2f} CPU)" if "cpu_seconds" in target else ""
        print(
            f"target {name}: {target['value']:.2f}{cpu} < {target['limit']:g}"
            f"  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument(
        "--out", type=Path, help="an empty folder for the cohort (default: temporary)"
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each step once more under cProfile; print its hottest functions",
    )
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pmc-bench-") as scratch:
        out = args.out or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        if any(out.iterdir()):
            parser.error(f"{out} is not empty")
        start = time.perf_counter()
        cohort = in_fresh_process(write_cohort, out, args.participants, args.seed)
        cohort["seconds"] = time.perf_counter() - start
        steps = {
            name: in_fresh_process(function, out, *extra)
            for name, (function, extra) in STEPS.items()
        }
        profiles = {}
        if args.profile:
            for name, (function, extra) in STEPS.items():
                path = out / f"profile-{name}.pstats"
                in_fresh_process(function, out, *extra, path)
                profiles[name] = top_functions(path)
    peak = max(step["peak_rss_mib"] for step in steps.values())
    reconcile_seconds = steps["reconcile"]["seconds"]
    results = {
        "seed": args.seed,
        "code": code_version(),
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "machine": machine(),
        "cohort": cohort,
        "steps": steps,
        "targets": {
            "reconcile_s": {
                "value": reconcile_seconds,
                "cpu_seconds": steps["reconcile"]["cpu_seconds"],
                "limit": TARGET_RECONCILE_S,
                "ok": reconcile_seconds < TARGET_RECONCILE_S,
            },
            "peak_rss_mib": {
                "value": peak,
                "limit": TARGET_PEAK_MIB,
                "ok": peak < TARGET_PEAK_MIB,
            },
        },
    }
    if args.json:
        print(json.dumps(results | {"profiles": profiles}, indent=1))
    else:
        print_table(results)
        for name, text in profiles.items():
            print(f"\n--- profile: {name} ---\n{text}")
    return 0 if all(t["ok"] for t in results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
