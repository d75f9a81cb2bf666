"""A participant's next steps: what to do and where the link goes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmc_sync.config import REQUIREMENTS, Config
from pmc_sync.forms import QuestionMap, prefilled_link
from pmc_sync.reconcile import REQUIREMENT_FACT

# A step cannot be taken before these facts hold.
_UNLOCKED_BY = {
    "T1.post": "post_unlocked",
    "T1.capstone": "post",
}


@dataclass(frozen=True)
class StepLink:
    text: str
    url: str


class StepLinks:
    """Resolves the ``link`` of each configured step for one participant."""

    def __init__(self, config: Config, question_maps: dict[str, QuestionMap]) -> None:
        self.config = config
        self.question_maps = question_maps

    def url(self, target: str, participant: str, checklist_url: str) -> str:
        kind, _, name = target.partition(":")
        if target == "checklist":
            return checklist_url or self.config.links["checklist_copy"]
        if kind == "link":
            return self.config.links[name]
        qmap = self.question_maps[name]
        email_qid = qmap.email_qid
        return prefilled_link(qmap, {email_qid: participant} if email_qid else {})

    def step(self, key: str, participant: str, checklist_url: str = "") -> StepLink:
        spec = self.config.steps[key]
        return StepLink(spec.next_step, self.url(spec.link, participant, checklist_url))


def is_locked(requirement: str, facts: pd.Series) -> bool:
    """Whether a requirement cannot be worked on yet."""
    if requirement.startswith("T2.") and pd.isna(facts["t1_complete"]):
        return True
    unlocked_by = _UNLOCKED_BY.get(requirement)
    return bool(unlocked_by) and pd.isna(facts[unlocked_by])


def next_requirement(facts: pd.Series) -> str | None:
    """The first open, unlocked requirement, in the order of the checklist."""
    for requirement in REQUIREMENTS:
        if requirement.endswith(".complete"):
            continue
        fact = requirement_fact(requirement)
        if pd.isna(facts[fact]) and not is_locked(requirement, facts):
            return requirement
    return None


def requirement_fact(requirement: str) -> str:
    return REQUIREMENT_FACT[requirement]
