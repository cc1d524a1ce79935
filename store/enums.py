"""Closed vocabularies of the account-strategy method, stored by value."""

from enum import StrEnum


class Segment(StrEnum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"


class Role(StrEnum):
    CHAMPION = "champion"
    ECONOMIC_BUYER = "economic_buyer"
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    END_USER = "end_user"
    DETRACTOR = "detractor"
    EXECUTIVE_SPONSOR = "executive_sponsor"


class Influence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class StakeholderStatus(StrEnum):
    ACTIVE = "active"
    DEPARTED = "departed"
    MERGED = "merged"
    """A duplicate record of someone already on the map: off the map, kept for its history."""


class ContactChannel(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    EVENT = "event"
    SLACK = "slack"


class ActionStatus(StrEnum):
    OPEN = "open"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.BLOCKED)


class ItemKind(StrEnum):
    """A mutual-action item (an owner on each side, in the mutual action plan) or an internal
    task (an owner on our side only: "Our tasks", a save plan's steps)."""

    MUTUAL = "mutual"
    INTERNAL = "internal"


class SavePhase(StrEnum):
    """When a save plan's step happens: this week (stabilise), within 30 days (rebuild
    engagement, show value), within 90 days (strategic alignment, a growth path)."""

    THIS_WEEK = "this_week"
    DAYS_30 = "days_30"
    DAYS_90 = "days_90"


class Level(StrEnum):
    """Low, medium or high: a save plan's churn probability and its save difficulty."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RenewalStage(StrEnum):
    """Where this term's renewal stands, from nothing done to signed."""

    NOT_STARTED = "not_started"
    PROPOSAL_SENT = "proposal_sent"
    VERBAL_YES = "verbal_yes"
    SIGNED = "signed"


class Band(StrEnum):
    """An account's health band: green gets expansion plays, yellow stabilisation, red a save."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class RevenueKind(StrEnum):
    """What an ARR change was. A correction fixes a figure entered wrong: it is not movement."""

    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    CORRECTION = "correction"


class RenewalOutcome(StrEnum):
    """The answer to "Did Acme renew?"."""

    RENEWED = "renewed"
    EXPANDED = "expanded"
    CONTRACTED = "contracted"
    CHURNED = "churned"


class RevenueSource(StrEnum):
    """Where a revenue entry came from."""

    FORM = "form"
    RENEWAL = "renewal"
    IMPORT = "import"
    MIGRATION = "migration"


_WORDS = {
    "smb": "SMB",
    "mid_market": "Mid-market",
    "individual": "Individual contributor",
    "funding": "Funding round",
    "acquisition": "Acquisition or merger",
    "new_office": "New office or region",
    "new_leader": "New leader (VP / C-level)",
    "regulatory": "Regulatory change",
}


def label(value: StrEnum) -> str:
    """Human wording of a stored value: `economic_buyer` -> `Economic buyer`, `smb` -> `SMB`."""
    return _WORDS.get(value.value) or value.value.replace("_", " ").capitalize()


class CatalogueKind(StrEnum):
    """A catalogue entry: a product, or a module that needs one product."""

    PRODUCT = "product"
    MODULE = "module"


class PriceBasis(StrEnum):
    """What a list price is per: a seat licensed, a unit (of volume), or once (flat)."""

    PER_SEAT = "per_seat"
    PER_UNIT = "per_unit"
    FLAT = "flat"


class OrgLevel(StrEnum):
    """How senior a stakeholder is: the method wants threads across levels, not only people."""

    EXECUTIVE = "executive"
    DIRECTOR = "director"
    MANAGER = "manager"
    INDIVIDUAL = "individual"


ORG_LEVEL_SHORT = {
    OrgLevel.EXECUTIVE: "exec",
    OrgLevel.DIRECTOR: "dir",
    OrgLevel.MANAGER: "mgr",
    OrgLevel.INDIVIDUAL: "ic",
}
"""A level in the card's compact coverage line (`Finance 2 (exec, dir)`)."""


class EventKind(StrEnum):
    """A business event at the customer: context and timing for growth (values are stored)."""

    FUNDING = "funding"
    ACQUISITION = "acquisition"
    NEW_OFFICE = "new_office"
    HEADCOUNT_GROWTH = "headcount_growth"
    NEW_LEADER = "new_leader"
    REGULATORY = "regulatory"
    REORGANISATION = "reorganisation"


class EventSource(StrEnum):
    """How a business event was logged."""

    FORM = "form"
    SHORTCUT = "shortcut"
    IMPORT = "import"


class LeadStatus(StrEnum):
    """A former champion at a new company: open, contacted (outreach logged), converted (their
    company became an account), dismissed."""

    OPEN = "open"
    CONTACTED = "contacted"
    CONVERTED = "converted"
    DISMISSED = "dismissed"


class OpportunityType(StrEnum):
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"
    RENEWAL = "renewal"
    NEW_LOGO = "new_logo"


class OpportunityStage(StrEnum):
    """A deal's stage; each has its probability (`STAGE_PROBABILITY`)."""

    PROSPECT = "prospect"
    DISCOVERY = "discovery"
    EVALUATION = "evaluation"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


STAGE_PROBABILITY = {
    OpportunityStage.PROSPECT: 10,
    OpportunityStage.DISCOVERY: 20,
    OpportunityStage.EVALUATION: 40,
    OpportunityStage.PROPOSAL: 60,
    OpportunityStage.NEGOTIATION: 80,
    OpportunityStage.CLOSED_WON: 100,
    OpportunityStage.CLOSED_LOST: 0,
}
"""The practice's probability of each stage, in percent."""

OPEN_STAGE_ORDER = (
    OpportunityStage.PROSPECT,
    OpportunityStage.DISCOVERY,
    OpportunityStage.EVALUATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)
"""The open stages in the order a deal moves through them."""


class ExitCriterion(StrEnum):
    """What a stage asks before a deal leaves it (`store.deals.EXIT_CRITERIA`)."""

    MEETING_SCHEDULED = "meeting_scheduled"
    QUALIFIED = "qualified"
    DEMO_DELIVERED = "demo_delivered"
    BUDGET_APPROVED = "budget_approved"
    PROPOSAL_ACCEPTED = "proposal_accepted"
    CONTRACT_AGREED = "contract_agreed"


class HypothesisStatus(StrEnum):
    """Where a stored expansion hypothesis stands: open, dismissed with a reason, or turned into
    an opportunity."""

    OPEN = "open"
    DISMISSED = "dismissed"
    CONVERTED = "converted"
