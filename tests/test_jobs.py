"""The scheduled jobs: crontab, Cloud Scheduler, Cloud Run, the entrypoint.

``docker build`` cannot run here, so the container is tested by its parts:
the entrypoint script run as the image runs it, the job definitions parsed,
and the Dockerfile and lock file read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import EXPECTED

ROOT = Path(__file__).resolve().parents[1]
JOBS = ROOT / "jobs"
ENTRYPOINT = JOBS / "entrypoint.sh"
ALL_EMAILS = sum(len(p["emails"]) for p in EXPECTED["participants"].values())
# minute, hour, day of month, month, day of week
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def entrypoint_jobs() -> set[str]:
    """The job names the entrypoint's ``case`` knows."""
    text = ENTRYPOINT.read_text()
    return set(re.findall(r"^\s{4}([a-z-]+)\)$", text, re.MULTILINE))


def cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            return False
        numbers = [int(b) for b in bounds]
        if not all(low <= n <= high for n in numbers) or numbers != sorted(numbers):
            return False
    return True


def cron_ok(schedule: str) -> bool:
    fields = schedule.split()
    return len(fields) == 5 and all(
        cron_field_ok(f, *r) for f, r in zip(fields, CRON_RANGES, strict=True)
    )


def crontab_entries() -> dict[str, str]:
    """job -> schedule, from jobs/crontab (system format: a user field)."""
    entries = {}
    for line in (JOBS / "crontab").read_text().splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^\w+=", line):
            continue
        fields = line.split()
        schedule, user, command = " ".join(fields[:5]), fields[5], fields[6:]
        assert user == "pmc", line
        job = command[command.index("/opt/pmc-sync/jobs/entrypoint.sh") + 1]
        entries[job] = schedule
    return entries


def test_cron_checker_rejects_what_cron_rejects():
    assert cron_ok("*/15 8-18 * * 1-5")
    for bad in ("60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "* * *"):
        assert not cron_ok(bad), bad


def test_every_crontab_job_is_valid_and_known_to_the_entrypoint():
    entries = crontab_entries()

    assert set(entries) == {"sync", "nightly", "digest"}
    assert set(entries) <= entrypoint_jobs()
    for job, schedule in entries.items():
        assert cron_ok(schedule), (job, schedule)


def test_cloud_scheduler_and_cloud_run_define_the_same_jobs_as_cron():
    scheduler = yaml.safe_load((JOBS / "scheduler.yaml").read_text())
    cron = crontab_entries()

    assert scheduler["timeZone"] in (JOBS / "crontab").read_text()
    for trigger in scheduler["triggers"]:
        job = trigger["job"]
        assert job in entrypoint_jobs()
        assert cron_ok(trigger["schedule"]) and trigger["schedule"] == cron[job]
        definition = yaml.safe_load((JOBS / "cloudrun" / f"{job}.yaml").read_text())
        assert definition["kind"] == "Job"
        assert definition["metadata"]["name"] == trigger["name"]
        execution = definition["spec"]["template"]["spec"]
        assert execution["parallelism"] == 1
        (container,) = execution["template"]["spec"]["containers"]
        assert container["args"] == [job]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["PMC_SYNC_BACKEND"] == "google"
    assert {t["job"] for t in scheduler["triggers"]} == set(cron)


def _entrypoint(*args, env=None):
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        env={**os.environ, "PATH": path, "PMC_SYNC_FAULTS": "", **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_an_unknown_job_exits_2_and_names_the_jobs():
    run = _entrypoint("weekly-report")

    assert run.returncode == 2
    assert "unknown job 'weekly-report'" in run.stderr
    assert "sync nightly digest" in run.stderr


@pytest.mark.parametrize("by", ["argument", "environment"])
def test_the_entrypoint_runs_a_job_configured_by_environment(sample_workspace, by):
    env = {"PMC_SYNC_WORKSPACE": str(sample_workspace.root)}
    if by == "argument":
        run = _entrypoint("sync", "--now", EXPECTED["now"], "--json", env=env)
    else:
        run = _entrypoint(env={**env, "PMC_SYNC_JOB": "sync"})

    assert run.returncode == 0, run.stderr
    if by == "argument":
        assert json.loads(run.stdout)["emails_sent"] == ALL_EMAILS


def test_the_nightly_job_rereads_everything(sample_workspace):
    env = {"PMC_SYNC_WORKSPACE": str(sample_workspace.root)}
    now = ["--now", EXPECTED["now"], "--json"]
    first = json.loads(_entrypoint("sync", *now, env=env).stdout)
    incremental = json.loads(_entrypoint("sync", *now, env=env).stdout)

    nightly = _entrypoint("nightly", *now, env=env)

    assert nightly.returncode == 0, nightly.stderr
    assert json.loads(nightly.stdout)["responses_read"] == first["responses_read"]
    assert incremental["responses_read"] < first["responses_read"]


def test_the_image_runs_as_a_user_and_installs_only_pinned_packages():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "pip install --requirement requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert 'ENTRYPOINT ["/opt/pmc-sync/jobs/entrypoint.sh"]' in dockerfile

    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            lock[name] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in lock, f"requirements.lock lacks {name}: run jobs/lock.py"
        assert requirement.specifier.contains(lock[name]), (name, lock[name])
