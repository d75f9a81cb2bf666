"""``config/google.toml``: where the forms, sheets and mailbox are, and limits."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmc_sync.config import FORM_KEYS, default_config_dir
from pmc_sync.errors import ConfigError

FILE = "google.toml"


@dataclass(frozen=True)
class GoogleSettings:
    """Everything the Google adapters need to find and reach the program's files."""

    project: str
    service_account: str
    key_file: str | None
    program_mailbox: str
    delegated_subject: str | None
    form_ids: dict[str, str]
    control_spreadsheet_id: str
    master_checklist_id: str
    sheets_reads_per_minute: int = 60
    sheets_writes_per_minute: int = 60
    retry_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 32.0
    forms_page_size: int = 5000


def _text(table: dict[str, Any], key: str, where: str, optional: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise ConfigError(
            FILE,
            f"{where}.{key}",
            f"expected text, got {value!r}",
            "see docs/google.md",
        )
    return value.strip()


def _number(table: dict[str, Any], key: str, default: float, kind: type) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(
            FILE, f"google.limits.{key}", f"expected a number >= 0, got {value!r}"
        )
    return kind(value)


def load_google_settings(path: Path | None = None) -> GoogleSettings:
    """Read and check ``google.toml`` (default: next to the other config files).

    Raises:
        ConfigError: a setting is missing or has the wrong type.
    """
    path = Path(path or default_config_dir() / FILE)
    if not path.is_file():
        raise ConfigError(
            str(path), "(file)", "not found", "copy config/google.toml and fill it in"
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "(file)", f"not valid TOML: {exc}") from exc
    google = data.get("google")
    if not isinstance(google, dict):
        raise ConfigError(FILE, "google", "missing", "add a [google] table")
    forms = google.get("forms", {})
    sheets = google.get("sheets", {})
    limits = google.get("limits", {})
    missing = [key for key in FORM_KEYS if key not in forms]
    if missing:
        raise ConfigError(
            FILE,
            f"google.forms.{missing[0]}",
            "missing",
            "give the id of every form (from its edit URL /forms/d/<id>/edit)",
        )
    return GoogleSettings(
        project=_text(google, "project", "google"),
        service_account=_text(google, "service_account", "google"),
        key_file=_text(google, "key_file", "google", optional=True) or None,
        program_mailbox=_text(google, "program_mailbox", "google"),
        delegated_subject=(
            _text(google, "delegated_subject", "google", optional=True) or None
        ),
        form_ids={key: _text(forms, key, "google.forms") for key in forms},
        control_spreadsheet_id=_text(sheets, "control_spreadsheet_id", "google.sheets"),
        master_checklist_id=_text(sheets, "master_checklist_id", "google.sheets"),
        sheets_reads_per_minute=_number(limits, "sheets_reads_per_minute", 60, int),
        sheets_writes_per_minute=_number(limits, "sheets_writes_per_minute", 60, int),
        retry_attempts=max(1, _number(limits, "retry_attempts", 5, int)),
        backoff_base_seconds=_number(limits, "backoff_base_seconds", 1.0, float),
        backoff_cap_seconds=_number(limits, "backoff_cap_seconds", 32.0, float),
        forms_page_size=_number(limits, "forms_page_size", 5000, int),
    )
