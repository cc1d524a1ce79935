"""A red account's save play, drafted from the signals that fire (pure: no database).

The practice's save play is specific: this week (stabilise), in 30 days (rebuild engagement,
show value), in 90 days (strategic alignment and a growth path), each step naming a person from
the map, a meeting or a deliverable, with an owner on our side and a date; plus a risk
assessment (churn probability and why, ARR at risk, save difficulty, the investment asked for).
The owner edits the draft in the save plan form before anything is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from store.enums import Influence, Level, RenewalStage, Role, SavePhase, Sentiment
from store.enums import StakeholderStatus as Status
from store.rows import PersonRow
from store.signals import (
    RENEWAL_KINDS,
    ROLE_WORDS,
    AccountSnapshot,
    Assessment,
    Severity,
    SignalKind,
    end_of_week,
)
from store.wording import plural

PHASE_WORDS = {
    SavePhase.THIS_WEEK: "This week: stabilise",
    SavePhase.DAYS_30: "30 days: rebuild engagement, show value",
    SavePhase.DAYS_90: "90 days: strategic alignment, a growth path",
}
SENIORITY = (
    Role.EXECUTIVE_SPONSOR,
    Role.ECONOMIC_BUYER,
    Role.DECISION_MAKER,
    Role.CHAMPION,
    Role.INFLUENCER,
    Role.END_USER,
    Role.DETRACTOR,
)
_INFLUENCE = {Influence.HIGH: 0, Influence.MEDIUM: 1, Influence.LOW: 2}
HOURS_PER_STEP = 3


@dataclass(frozen=True, slots=True)
class DraftStep:
    phase: SavePhase
    title: str
    owner_user_id: str | None
    due_on: date


@dataclass(frozen=True, slots=True)
class SaveDraft:
    """What the save plan form opens with; the owner edits it before anything is written."""

    steps: tuple[DraftStep, ...]
    churn_probability: Level
    rationale: str
    arr_at_risk: Decimal
    difficulty: Level
    investment_hours: int
    investment_people: int
    executive_involvement: str


def most_senior(people: list[PersonRow], *, positive_only: bool = True) -> PersonRow | None:
    """The most senior active person, by role then influence: positive ones (or, with
    `positive_only` false, anyone not negative)."""
    fit = [
        p
        for p in people
        if p.status is Status.ACTIVE
        and (
            p.sentiment is Sentiment.POSITIVE
            if positive_only
            else p.sentiment is not Sentiment.NEGATIVE
        )
    ]
    if not fit:
        return None
    return min(fit, key=lambda p: (SENIORITY.index(p.role), _INFLUENCE[p.influence], p.name))


def draft_save_plan(snapshot: AccountSnapshot, assessment: Assessment, *, today: date) -> SaveDraft:
    """The save play the signals call for; every step names someone or something to deliver."""
    account = snapshot.account
    owner = account.owner_user_id
    kinds = {s.kind: s for s in assessment.signals}
    people = list(snapshot.stakeholders)
    active = [p for p in people if p.status is Status.ACTIVE]
    by_name = {p.name: p for p in active}
    senior = most_senior(people) or most_senior(people, positive_only=False)
    champion = next((p for p in active if p.role is Role.CHAMPION), None)
    buyer = next((p for p in active if p.role is Role.ECONOMIC_BUYER), None)
    sponsor = next((p for p in active if p.role is Role.EXECUTIVE_SPONSOR), None)
    users = [p for p in active if p.role is Role.END_USER]
    users_lead = min(users, key=lambda p: (_INFLUENCE[p.influence], p.name)) if users else None
    friday = end_of_week(today)
    day_30, day_90 = today + timedelta(days=30), today + timedelta(days=90)
    # the later steps land before the customer can leave: the notice date while it is still
    # ahead of this week, else the renewal
    for deadline in (account.notice_date, account.renewal_date):
        if deadline is not None and deadline > friday:
            day_30 = min(day_30, deadline - timedelta(days=1))
            day_90 = min(day_90, deadline - timedelta(days=1))
            break
    steps: list[DraftStep] = []

    def add(phase: SavePhase, title: str, person: PersonRow | None = None) -> None:
        due = {SavePhase.THIS_WEEK: friday, SavePhase.DAYS_30: day_30}.get(phase, day_90)
        who = (person.relationship_owner_user_id if person else None) or owner
        if all(s.title != title for s in steps):
            steps.append(DraftStep(phase, title, who, due))

    # this week: stabilise
    if SignalKind.NO_STAKEHOLDERS in kinds:
        add(
            SavePhase.THIS_WEEK,
            "Map the account this week: name the champion and the economic buyer",
        )
    if SignalKind.CHAMPION_DEPARTED in kinds:
        gone = kinds[SignalKind.CHAMPION_DEPARTED].people[-1]
        if senior is not None:
            add(
                SavePhase.THIS_WEEK,
                f"Meet {senior.name} this week; find {gone}'s successor",
                senior,
            )
        else:
            add(
                SavePhase.THIS_WEEK,
                f"Find {gone}'s successor this week: who carries their work now?",
            )
    if SignalKind.SPONSOR_DEPARTED in kinds:
        gone = kinds[SignalKind.SPONSOR_DEPARTED].people[-1]
        ask = champion or senior
        via = f": ask {ask.name} who owns this now" if ask else ""
        add(SavePhase.THIS_WEEK, f"Find a new executive sponsor to replace {gone}{via}", ask)
    if SignalKind.GONE_DARK in kinds and senior is not None:
        add(
            SavePhase.THIS_WEEK,
            f"Call {senior.name} this week: nobody on the map has been heard from in months",
            senior,
        )
    if SignalKind.NEGATIVE_ECONOMIC_BUYER in kinds and buyer is not None:
        add(
            SavePhase.THIS_WEEK,
            f"Meet the economic buyer {buyer.name} this week: hear the objection, "
            "bring the value delivered",
            buyer,
        )
    # (overdue mutual-action items are closed from the plan itself, with their own Done: not
    # copied into the save plan)
    if SignalKind.ESCALATION in kinds or SignalKind.LOW_SATISFACTION in kinds:
        who = champion or senior
        add(
            SavePhase.THIS_WEEK,
            f"Review the open support issues with {who.name if who else 'the customer'} "
            "and our support lead",
            who,
        )
    if not any(s.phase is SavePhase.THIS_WEEK for s in steps):
        who = senior or champion
        add(
            SavePhase.THIS_WEEK,
            f"Call {who.name if who else 'your main contact'} this week: what must change "
            "for them to renew",
            who,
        )
    # 30 days: rebuild engagement, show value
    if {
        SignalKind.ADOPTION_RISK,
        SignalKind.LOW_FEATURE_ADOPTION,
        SignalKind.DECLINING_USAGE,
    } & set(kinds):
        lead = users_lead or champion or senior
        add(
            SavePhase.DAYS_30,
            f"Enablement session with {lead.name if lead else 'their main users'}"
            + (" (end users' lead)" if lead is users_lead and lead else "")
            + ": the core features, with a usage target",
            lead,
        )
    quiet = kinds.get(SignalKind.NO_RECENT_CONTACT)
    buyer_quiet = buyer is not None and (
        buyer.last_contacted_on is None or (quiet is not None and buyer.name in quiet.people)
    )
    if buyer is not None and buyer_quiet and SignalKind.NEGATIVE_ECONOMIC_BUYER not in kinds:
        add(
            SavePhase.DAYS_30,
            f"Executive outreach to {buyer.name} (economic buyer): our VP asks for 30 minutes",
            buyer,
        )
    if SignalKind.NO_ECONOMIC_BUYER in kinds and active:
        ask = champion or senior
        add(
            SavePhase.DAYS_30,
            f"Find who signs: ask {ask.name if ask else 'your main contact'} to introduce "
            "the economic buyer",
            ask,
        )
    for name in quiet.people if quiet else ():
        person = by_name.get(name)
        if person is not None and person is not buyer:
            add(SavePhase.DAYS_30, f"Book time with the {ROLE_WORDS[person.role]} {name}", person)
    if SignalKind.HIGH_INFLUENCE_DETRACTOR in kinds:
        name = kinds[SignalKind.HIGH_INFLUENCE_DETRACTOR].people[0]
        add(
            SavePhase.DAYS_30,
            f"Meet {name}, a high-influence detractor: a working session on their objection",
            by_name.get(name),
        )
    if SignalKind.THIN_COVERAGE in kinds and active:
        add(
            SavePhase.DAYS_30,
            "Add two live contacts: a decision maker and an end users' lead, introduced by "
            + (senior.name if senior else "your main contact"),
            senior,
        )
    value_with = senior or champion
    add(
        SavePhase.DAYS_30,
        f"Value review with {value_with.name if value_with else 'the customer'}: "
        "the numbers delivered this term",
        value_with,
    )
    # 90 days: strategic alignment, a growth path
    top = sponsor or buyer or senior
    add(
        SavePhase.DAYS_90,
        f"Executive business review with {top.name if top else 'their leadership'}: their next "
        "6-12 months and the success criteria for the renewal",
        top,
    )
    grow = champion or senior
    add(
        SavePhase.DAYS_90,
        f"Agree a growth path with {grow.name if grow else 'the customer'}: the next team or "
        "use case, once the account is stable",
        grow,
    )
    criticals = [
        s
        for s in assessment.signals
        if s.severity is Severity.CRITICAL and s.kind is not SignalKind.NO_SAVE_PLAN
    ]
    risks = [s for s in assessment.signals if s.severity is Severity.RISK]
    days = assessment.renewal_days
    soon = (
        days is not None and 0 <= days <= 90 and assessment.renewal_stage is not RenewalStage.SIGNED
    )
    if len(criticals) >= 2 or (criticals and soon):
        probability = Level.HIGH
    elif criticals or len(risks) >= 3:
        probability = Level.MEDIUM
    else:
        probability = Level.LOW
    weighing = len(criticals) + len(risks)
    hard = (
        SignalKind.GONE_DARK in kinds
        or SignalKind.NEGATIVE_ECONOMIC_BUYER in kinds
        or SignalKind.NO_STAKEHOLDERS in kinds
    )
    difficulty = (
        Level.HIGH if hard or weighing >= 5 else Level.MEDIUM if weighing >= 3 else Level.LOW
    )
    renews = (
        f"renews in {plural(days, 'day')}" if days is not None and days >= 0 else "no renewal ahead"
    )
    shown = [*criticals, *risks][:4]
    said = "; ".join(s.reason for s in shown)
    if any(s.kind in RENEWAL_KINDS for s in shown):
        rationale = said  # the renewal said already
    else:
        rationale = f"{said}; {renews}" if said else renews
    owners = {s.owner_user_id for s in steps if s.owner_user_id}
    executive = (
        "Our VP: outreach to the economic buyer and the executive business review"
        if buyer_quiet
        or SignalKind.NEGATIVE_ECONOMIC_BUYER in kinds
        or SignalKind.SPONSOR_DEPARTED in kinds
        else "Our VP at the executive business review"
    )
    return SaveDraft(
        steps=tuple(steps),
        churn_probability=probability,
        rationale=rationale,
        arr_at_risk=account.arr,
        difficulty=difficulty,
        investment_hours=HOURS_PER_STEP * len(steps),
        investment_people=max(2, len(owners) + 1),
        executive_involvement=executive,
    )
