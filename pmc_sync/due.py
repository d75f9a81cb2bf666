"""Which emails are due, from the facts, the checklist outcomes and the ledger.

Pure pandas, like the reconcile core. An email that asks for a next step is
due only while that step is open; every (participant, event) goes out at most
once; reminders are numbered so that at most ``reminders.max_total`` go out.
"""

from __future__ import annotations

import pandas as pd

from pmc_sync.config import EVENTS, Config

LEDGER_COLUMNS = ["participant", "event", "seq", "state", "sent_on"]


def emails_due(
    facts: pd.DataFrame,
    participants: pd.DataFrame,
    checklist_outcome: pd.Series,
    ledger: pd.DataFrame,
    config: Config,
) -> pd.DataFrame:
    """One row per email to send now: participant, event, seq.

    Args:
        facts: from ``reconcile`` (index participant).
        participants: from ``reconcile`` (``withdrawn`` column).
        checklist_outcome: participant -> "written", "unreachable", ...
        ledger: every email already sent or being sent (``LEDGER_COLUMNS``).
    """
    open_ = facts.notna()
    unreachable = checklist_outcome.reindex(facts.index).eq("unreachable")
    conditions = {
        "welcome": open_["registered_on"] & ~open_["pre"],
        "checklist_unreachable": unreachable,
        "mf_partial": facts["partial_fundamentals"].fillna(False).astype(bool)
        & ~open_["fundamentals"],
        "t1_post_unlocked": open_["post_unlocked"] & ~open_["post"],
        "t1_capstone_unlocked": open_["post"] & ~open_["capstone"],
        "t1_complete": open_["t1_complete"],
        "t2_coaching_ready": open_["coaching_ready"] & ~open_["coaching"],
        "t2_complete": open_["t2_complete"],
    }
    wanted = pd.DataFrame(conditions, index=facts.index)
    wanted = wanted[~participants["withdrawn"].reindex(facts.index).fillna(False)]
    long = wanted.stack()
    due = long[long].reset_index()
    due.columns = ["participant", "event", "_"]
    due = due.drop(columns="_")
    already = ledger[["participant", "event"]].drop_duplicates()
    due = due.merge(already, how="left", indicator=True)
    due = due[due["_merge"] == "left_only"].drop(columns="_merge")
    due["seq"] = 1
    reminders = _reminders_due(
        facts, participants, ledger, set(due["participant"]), config
    )
    due = pd.concat([due, reminders], ignore_index=True)
    order = {event: i for i, event in enumerate(EVENTS)}
    due["_order"] = due["event"].map(order)
    return (
        due.sort_values(["participant", "_order"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _reminders_due(
    facts: pd.DataFrame,
    participants: pd.DataFrame,
    ledger: pd.DataFrame,
    getting_other_email: set[str],
    config: Config,
) -> pd.DataFrame:
    t1_open = facts["registered_on"].notna() & facts["t1_complete"].isna()
    t2_open = (
        facts["t1_complete"].notna() & facts["t2_started"] & facts["t2_complete"].isna()
    )
    sent = ledger[ledger["state"] == "sent"]
    last_email = pd.to_datetime(sent.groupby("participant")["sent_on"].max())
    reminders_sent = ledger[ledger["event"] == "reminder"].groupby("participant").size()
    last_touch = pd.concat(
        [facts["last_activity"], last_email.reindex(facts.index)], axis=1
    ).max(axis=1)
    idle_days = (facts["today"] - last_touch).dt.days
    count = reminders_sent.reindex(facts.index).fillna(0).astype(int)
    eligible = (
        (t1_open | t2_open)
        & (idle_days >= config.reminder_after_days)
        & (count < config.reminder_max_total)
        & ~participants["withdrawn"].reindex(facts.index).fillna(False).astype(bool)
        & ~facts.index.isin(list(getting_other_email))
    )
    return pd.DataFrame(
        {
            "participant": facts.index[eligible],
            "event": "reminder",
            "seq": (count[eligible] + 1).to_numpy(),
        }
    )
