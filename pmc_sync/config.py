"""Program settings and form mappings, loaded from ``config/`` and checked.

Every number the rules use (4 Mondays, 6 reflections, 42 days...) and every
question title comes from here; the code holds none of them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmc_sync.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_ENV = "PMC_SYNC_CONFIG"
TEMPLATES_ENV = "PMC_SYNC_TEMPLATES"

REQUIREMENTS_T1 = (
    "T1.register",
    "T1.pre",
    "T1.fundamentals",
    "T1.mondays",
    "T1.post",
    "T1.capstone",
    "T1.complete",
)
REQUIREMENTS_T2 = (
    "T2.mentee",
    "T2.pre",
    "T2.compact",
    "T2.outline",
    "T2.reflections",
    "T2.training",
    "T2.period",
    "T2.post",
    "T2.coaching",
    "T2.portfolio",
    "T2.complete",
)
REQUIREMENTS = REQUIREMENTS_T1 + REQUIREMENTS_T2
COUNTED_REQUIREMENTS = ("T1.mondays", "T2.reflections", "T2.training")

ACTIVITY_KINDS = (
    "fundamentals",
    "monday",
    "elective",
    "weekly_reflection",
    "compact",
    "outline",
    "coaching",
)
FORM_KEYS = (
    "registration",
    "reflection",
    "t1_pre",
    "t1_post",
    "t1_capstone",
    "t2_pre",
    "t2_post",
    "coaching_feedback",
    "t2_portfolio",
    "mentee_assessment",
)
EVENTS = (
    "welcome",
    "checklist_unreachable",
    "mf_partial",
    "t1_post_unlocked",
    "t1_capstone_unlocked",
    "t1_complete",
    "t2_coaching_ready",
    "t2_complete",
    "reminder",
)


@dataclass(frozen=True)
class FormMapping:
    """How one form's questions map to named fields."""

    key: str
    label: str
    fields: dict[str, str] = field(default_factory=dict)
    grids: dict[str, str] = field(default_factory=dict)
    email_question: str | None = None
    required_answers: tuple[str, ...] = ()
    required_files: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    confidential: bool = False


@dataclass(frozen=True)
class Step:
    next_step: str
    link: str
    locked: str = ""


@dataclass(frozen=True)
class EmailSpec:
    subject: str
    step: str


@dataclass(frozen=True)
class Config:
    """All settings of one program, validated."""

    program_name: str
    time_zone: str
    started_on: dt.date
    mondays_required: int
    reflections_required: int
    training_sessions_required: int
    training_mondays_required: int
    electives_max: int
    mentoring_days_required: int
    reminder_after_days: int
    reminder_max_total: int
    mail: dict[str, str]
    links: dict[str, str]
    checklist: dict[str, str]
    forms: dict[str, FormMapping]
    activities: dict[str, str]
    full_attendance_yes: str
    steps: dict[str, Step]
    emails: dict[str, EmailSpec]
    config_dir: Path
    templates_dir: Path

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def activity_kind_by_label(self) -> dict[str, str]:
        return {label: kind for kind, label in self.activities.items()}


def default_config_dir() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or REPO_ROOT / "config")


def default_templates_dir() -> Path:
    return Path(os.environ.get(TEMPLATES_ENV) or REPO_ROOT / "templates")


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            str(path), "(file)", "not found", "restore it from the repository"
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "(file)", f"not valid TOML: {exc}") from exc


class _Reader:
    """Reads typed values out of one TOML file, naming the key on error."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def get(self, dotted: str | tuple[str, ...], kind: type, default: Any = ...) -> Any:
        parts = dotted if isinstance(dotted, tuple) else tuple(dotted.split("."))
        dotted = ".".join(f'"{p}"' if "." in p else p for p in parts)
        node: Any = self.data
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                if default is not ...:
                    return default
                raise ConfigError(
                    self.path.name, dotted, "missing", f"add {dotted} to {self.path}"
                )
            node = node[part]
        if kind is int and (isinstance(node, bool) or not isinstance(node, int)):
            raise ConfigError(
                self.path.name, dotted, f"expected a whole number, got {node!r}"
            )
        if kind is int and node < 0:
            raise ConfigError(
                self.path.name, dotted, f"must not be negative, got {node}"
            )
        if kind is str and (not isinstance(node, str) or not node.strip()):
            raise ConfigError(
                self.path.name, dotted, f"expected non-empty text, got {node!r}"
            )
        if kind is dict and not isinstance(node, dict):
            raise ConfigError(self.path.name, dotted, "expected a table")
        return node

    def table_of_text(self, dotted: str) -> dict[str, str]:
        table = self.get(dotted, dict)
        for key in table:
            self.get(f"{dotted}.{key}", str)
        return dict(table)


def _load_forms(reader: _Reader) -> dict[str, FormMapping]:
    forms_table = reader.get("forms", dict)
    missing = [key for key in FORM_KEYS if key not in forms_table]
    if missing:
        raise ConfigError(
            reader.path.name,
            f"forms.{missing[0]}",
            "missing",
            f"map every form the rules use: {', '.join(FORM_KEYS)}",
        )
    forms = {}
    for key, raw in forms_table.items():
        prefix = f"forms.{key}"
        if not isinstance(raw, dict):
            raise ConfigError(reader.path.name, prefix, "expected a table")
        confidential = raw.get("confidential", False)
        if not isinstance(confidential, bool):
            raise ConfigError(reader.path.name, f"{prefix}.confidential", "true/false")
        titles = {}
        for list_key in ("required_answers", "required_files", "ignored"):
            value = raw.get(list_key, [])
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                raise ConfigError(
                    reader.path.name,
                    f"{prefix}.{list_key}",
                    "expected a list of question titles",
                )
            titles[list_key] = tuple(value)
        email_question = raw.get("email_question")
        if email_question is not None:
            reader.get(f"{prefix}.email_question", str)
        forms[key] = FormMapping(
            key=key,
            label=raw.get("label", key) if not confidential else key,
            fields=reader.table_of_text(f"{prefix}.fields") if "fields" in raw else {},
            grids=reader.table_of_text(f"{prefix}.grids") if "grids" in raw else {},
            email_question=email_question,
            required_answers=titles["required_answers"],
            required_files=titles["required_files"],
            ignored=titles["ignored"],
            confidential=confidential,
        )
    if not forms["mentee_assessment"].confidential:
        raise ConfigError(
            reader.path.name,
            "forms.mentee_assessment.confidential",
            "must be true: the mentee's assessment never reaches the mentor",
            "set confidential = true under [forms.mentee_assessment]",
        )
    for key, needed in (
        ("registration", ("full_name", "preferred_name", "checklist_link")),
        ("reflection", ("activity", "date", "full_attendance")),
        ("t2_pre", ("mentee_name", "start_date")),
    ):
        for name in needed:
            if name not in forms[key].fields:
                raise ConfigError(
                    reader.path.name,
                    f"forms.{key}.fields.{name}",
                    "missing",
                    "name the question title that holds it",
                )
    return forms


def load_config(
    config_dir: Path | None = None, templates_dir: Path | None = None
) -> Config:
    """Load and validate ``program.toml``, ``forms.toml`` and ``steps.toml``."""
    config_dir = Path(config_dir or default_config_dir())
    templates_dir = Path(templates_dir or default_templates_dir())
    program = _Reader(
        config_dir / "program.toml", _read_toml(config_dir / "program.toml")
    )
    forms = _Reader(config_dir / "forms.toml", _read_toml(config_dir / "forms.toml"))
    steps = _Reader(config_dir / "steps.toml", _read_toml(config_dir / "steps.toml"))

    time_zone = program.get("program.time_zone", str)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            "program.toml",
            "program.time_zone",
            f"unknown time zone {time_zone!r}",
            "use an IANA name such as America/Los_Angeles",
        ) from exc
    started_raw = program.get("program.started_on", str)
    try:
        started_on = dt.date.fromisoformat(started_raw)
    except ValueError as exc:
        raise ConfigError(
            "program.toml", "program.started_on", "expected a date YYYY-MM-DD"
        ) from exc

    activities = forms.table_of_text("activities")
    for kind in ACTIVITY_KINDS:
        if kind not in activities:
            raise ConfigError(
                "forms.toml",
                f"activities.{kind}",
                "missing",
                "give the reflection form's option text for it",
            )
    labels = list(activities.values())
    if len(set(labels)) != len(labels):
        raise ConfigError("forms.toml", "activities", "two kinds share one label")

    step_table = steps.get("steps", dict)
    parsed_steps = {}
    for key, raw in step_table.items():
        parsed_steps[key] = Step(
            next_step=steps.get(("steps", key, "next_step"), str),
            link=steps.get(("steps", key, "link"), str),
            locked=raw.get("locked", ""),
        )
    for key in REQUIREMENTS:
        if key not in parsed_steps:
            raise ConfigError("steps.toml", f'steps."{key}"', "missing")
    links = program.table_of_text("links")
    staff_address = program.get("mail.staff_address", str)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", staff_address):
        raise ConfigError(
            "program.toml",
            "mail.staff_address",
            f"{staff_address!r} is not an email address",
            "set it to the staff mailbox that gets the weekly digest and alerts",
        )
    form_mappings = _load_forms(forms)
    for key, step in parsed_steps.items():
        kind, _, target = step.link.partition(":")
        ok = (
            step.link == "checklist"
            or (kind == "form" and target in form_mappings)
            or (kind == "link" and target in links)
        )
        if not ok:
            raise ConfigError(
                "steps.toml",
                f'steps."{key}".link',
                f"unknown link {step.link!r}",
                "use form:<form key>, link:<name in program.toml [links]> or checklist",
            )
    email_specs = {}
    for event in EVENTS:
        spec = EmailSpec(
            subject=steps.get(f"emails.{event}.subject", str),
            step=steps.get(f"emails.{event}.step", str),
        )
        if spec.step != "next" and spec.step not in parsed_steps:
            raise ConfigError(
                "steps.toml", f"emails.{event}.step", f"unknown step {spec.step!r}"
            )
        email_specs[event] = spec

    return Config(
        program_name=program.get("program.name", str),
        time_zone=time_zone,
        started_on=started_on,
        mondays_required=program.get("tier1.mondays_required", int),
        reflections_required=program.get("tier2.reflections_required", int),
        training_sessions_required=program.get("tier2.training_sessions_required", int),
        training_mondays_required=program.get("tier2.training_mondays_required", int),
        electives_max=program.get("tier2.electives_max", int),
        mentoring_days_required=program.get("tier2.mentoring_days_required", int),
        reminder_after_days=program.get("reminders.after_days", int),
        reminder_max_total=program.get("reminders.max_total", int),
        mail={
            key: program.get(f"mail.{key}", str)
            for key in (
                "from_name",
                "from_address",
                "reply_to",
                "message_id_domain",
                "staff_address",
            )
        },
        links=links,
        checklist={
            key: program.get(f"checklist.{key}", str)
            for key in (
                "key_header",
                "status_header",
                "completed_header",
                "progress_header",
                "next_step_header",
                "last_synced_label",
                "activity_log_tab",
            )
        },
        forms=form_mappings,
        activities=activities,
        full_attendance_yes=forms.get("answers.full_attendance_yes", str),
        steps=parsed_steps,
        emails=email_specs,
        config_dir=config_dir,
        templates_dir=templates_dir,
    )
