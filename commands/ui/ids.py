"""Every slash command, event, action, view and block id the bot answers to."""

from enum import StrEnum


class Command(StrEnum):
    ACCOUNT = "/account"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
    APP_UNINSTALLED = "app_uninstalled"
    TOKENS_REVOKED = "tokens_revoked"
    CHANNEL_SHARED = "channel_shared"
    CHANNEL_UNSHARED = "channel_unshared"
    INVITE_ACCEPTED = "shared_channel_invite_accepted"
    INVITE_APPROVED = "shared_channel_invite_approved"
    INVITE_DECLINED = "shared_channel_invite_declined"
    CHANNEL_ARCHIVE = "channel_archive"
    CHANNEL_UNARCHIVE = "channel_unarchive"
    CHANNEL_DELETED = "channel_deleted"
    GROUP_ARCHIVE = "group_archive"
    GROUP_UNARCHIVE = "group_unarchive"
    GROUP_DELETED = "group_deleted"


class Shortcut(StrEnum):
    LOG_MESSAGE = "log_message_contact"
    LOG_EVENT = "log_message_event"
    """A news link in a message logged as a business event of the account."""


class Action(StrEnum):
    """Slack's block actions: the buttons, menus and selects on the bot's messages and views
    (each carries a typed value, `commands.ui.values`). The strings are in messages already
    posted and in manifest.yml: they never change, whatever the members are called."""

    SHARE_CARD = "account.share"
    SHOW_ACCOUNT = "account.show"
    EDIT_ACCOUNT = "account.edit"
    CREATE_ACCOUNT = "account.create"
    ADD_STAKEHOLDER = "stakeholder.add"
    STAKEHOLDER_MENU = "stakeholder.menu"
    LOG_CONTACT = "contact.log"
    CONTACT_ACCOUNT = "contact.account"
    HISTORY_PAGE = "history.page"
    ADD_ITEM = "action.add"
    """Add a mutual-action item (the strings of items say `action`, as they always did)."""
    ITEM_DONE = "action.done"
    ITEM_MENU = "action.menu"
    SETTINGS_SECTION = "settings.section"
    CATALOGUE_ENTRY = "settings.catalogue"
    """The settings menu's "Edit or remove an entry" of the product catalogue."""
    ACCOUNT_CHANNEL = "account.channel"
    """The linked-channel select of the account form (warns when the channel is shared)."""
    OVERRIDE_BAND = "account.override"
    """The card's "Override band": the owner's band, why and until when."""
    RENEWAL_STAGE = "account.renewal"
    """The card's "Renewal stage": stage, signed date, notice date."""
    RECORD_USAGE = "account.usage"
    """The card's "Record usage": a dated usage reading."""
    FULL_CARD = "digest.card"
    """A weekly digest's "Full card" button: the account's card, to whoever clicks."""
    RENEWAL_ANSWER = "renewal.answer"
    """An answer to "Did Acme renew?" (renewed, with expansion, with contraction, churned)."""
    ADD_TASK = "task.add"
    """The card's "Add task": an internal task, an owner on our side only."""
    TASK_REOPEN = "task.reopen"
    """"Reopen" beside a done internal task."""
    SAVE_PLAN = "saveplan.open"
    """A red card's "Save plan": the form, pre-filled with the draft."""
    SHOW_SAVE_PLAN = "saveplan.show"
    """A red card's "View save plan": the saved plan and its steps."""
    DEPARTMENTS = "account.departments"
    """The card's "Departments": the account's known departments, which use the product."""
    LOG_EVENT = "account.event"
    """The card's "Log event": a business event at the customer."""
    NEW_LEADER_EVENT = "event.new_leader"
    """After a new executive of high influence is saved: "Log as new leader event"."""
    LEAD_ACCOUNT = "lead.account"
    """`/account leads`: "Create account" for a former champion's new company (prefilled)."""
    LEAD_OUTREACH = "lead.outreach"
    """`/account leads`: "Log outreach" to a former champion."""
    LEAD_OPPORTUNITY = "lead.opportunity"
    """`/account leads`: "Create opportunity", a new logo of the lead."""
    LEAD_STAKEHOLDER = "lead.stakeholder"
    """After a lead's account is created: add the former champion as its first stakeholder."""
    EDIT_OPPORTUNITY = "opportunity.edit"
    """`/account leads`: a lead's opportunity, edited in the Opportunity form."""
    SHOW_GROWTH = "account.growth"
    """The card's "Growth": the account's growth view (`/account Acme grow`)."""
    CONVERT_HYPOTHESIS = "hypothesis.convert"
    """The growth view: "Turn into opportunity" on a hypothesis."""
    DISMISS_HYPOTHESIS = "hypothesis.dismiss"
    """The growth view: "Dismiss" a hypothesis or observation, with a reason."""
    ADD_DEAL = "deal.add"
    """The card's and `/account Acme deals`' "Add deal": the account's Opportunity form."""
    SHOW_DEALS = "account.deals"
    """The card's "Deals": `/account Acme deals`."""
    EDIT_DEAL = "deal.edit"
    """`/account Acme deals`: a deal's Edit (its Opportunity form filled in)."""
    MOVE_STAGE = "deal.stage"
    """`/account Acme deals`: a deal's stage menu (each option a stage to move to)."""
    QUALIFY_DEAL = "deal.qualify"
    """`/account Acme deals`: a deal's MEDDIC and scorecard."""


class ItemMenu(StrEnum):
    """Options of the overflow menu beside each mutual-action item."""

    EDIT = "edit"
    RESCHEDULE = "reschedule"
    BLOCK = "block"
    UNBLOCK = "unblock"
    CANCEL = "cancel"


class StakeholderMenu(StrEnum):
    """Options of the overflow menu beside each person on the card."""

    EDIT = "edit"
    SENTIMENT = "sentiment"
    DEPARTED = "departed"
    PROMOTED = "promoted"


class View(StrEnum):
    LOADING = "loading"
    ACCOUNT_FORM = "account.form"
    STAKEHOLDER_FORM = "stakeholder.form"
    SENTIMENT_FORM = "stakeholder.sentiment"
    DEPARTED_FORM = "stakeholder.departed"
    PROMOTED_FORM = "stakeholder.promoted"
    CONTACT_FORM = "contact.form"
    OVERRIDE_FORM = "account.override"
    RENEWAL_FORM = "account.renewal"
    USAGE_FORM = "account.usage"
    RENEWAL_ANSWER_FORM = "renewal.answer"
    ITEM_FORM = "action.form"
    RESCHEDULE_FORM = "action.reschedule"
    BLOCK_FORM = "action.block"
    TASK_FORM = "task.form"
    SAVE_PLAN_FORM = "saveplan.form"
    SETTINGS_MENU = "team.settings.menu"
    SETTINGS_FORM = "team.settings"
    THRESHOLDS_FORM = "team.thresholds"
    LEADS_FORM = "team.leads"
    REVENUE_SETTINGS_FORM = "team.revenue"
    CATALOGUE_FORM = "team.catalogue"
    DEPARTMENTS_FORM = "account.departments"
    EVENT_FORM = "account.event"
    OUTREACH_FORM = "lead.outreach"
    OPPORTUNITY_FORM = "opportunity.form"
    ACCOUNT_OPPORTUNITY_FORM = "opportunity.account_form"
    """The Opportunity form of an account's deal, opened from an expansion hypothesis."""
    DISMISS_FORM = "hypothesis.dismiss_form"
    DEAL_FORM = "deal.form"
    """The Opportunity form of an account's deal, added or edited directly."""
    STAGE_FORM = "deal.stage_form"
    QUALIFY_FORM = "deal.qualify_form"


class AccountField(StrEnum):
    """Block ids of the account modal; errors are reported against them."""

    NAME = "name"
    CHANNEL = "channel_id"
    OWNER = "owner_user_id"
    ARR = "arr"
    ARR_KIND = "arr_kind"
    CURRENCY = "currency"
    CONTRACT_START = "contract_start"
    CONTRACT_MONTHS = "contract_months"
    RENEWAL = "renewal_date"
    SEATS_LICENSED = "seats_licensed"
    SEATS_ACTIVE = "seats_active"
    SEGMENT = "segment"
    FISCAL_YEAR = "fiscal_year_start_month"


class StakeholderField(StrEnum):
    """Block ids of the stakeholder modals."""

    NAME = "name"
    TITLE = "title"
    ROLE = "role"
    INFLUENCE = "influence"
    SENTIMENT = "sentiment"
    REPORTS_TO = "reports_to_id"
    OWNER = "relationship_owner_user_id"
    LAST_CONTACT = "last_contacted_on"
    EMAIL = "email"
    NOTES = "notes"
    DEPARTED_ON = "departed_on"
    LEFT_FOR_COMPANY = "left_for_company"
    LEFT_FOR_TITLE = "left_for_title"
    DEPARTMENT = "department_id"
    LEVEL = "level"


class ContactField(StrEnum):
    """Block ids of the contact modal."""

    ACCOUNT = "account_id"
    PEOPLE = "stakeholder_ids"
    DATE = "contacted_on"
    CHANNEL = "channel"
    SUMMARY = "summary"


class ItemField(StrEnum):
    """Block ids of the mutual-action item modals."""

    TITLE = "title"
    OUR_OWNER = "our_owner_user_id"
    CUSTOMER_OWNER = "customer_owner_stakeholder_id"
    CUSTOMER_OWNER_NAME = "customer_owner_name"
    DUE = "due_on"
    LINK = "link"
    REASON = "blocked_reason"


class EventField(StrEnum):
    """Block ids of the business event modal."""

    ACCOUNT = "account_id"
    KIND = "kind"
    DATE = "happened_on"
    NOTE = "note"
    LINK = "link"


class OpportunityField(StrEnum):
    """Block ids of the opportunity modal (the record's field names: a refusal names one)."""

    NAME = "name"
    AMOUNT = "amount"
    CURRENCY = "currency"
    CLOSE_DATE = "close_date"
    STAGE = "stage"
    LOST_REASON = "lost_reason"
    OWNER = "owner_user_id"
    NEXT_STEP = "next_step"
    NEXT_STEP_ON = "next_step_on"
    TRIGGER = "trigger_signal"
    BUSINESS_CASE = "business_case"
    TYPE = "type"
    """An account's deal only: upsell, cross-sell or renewal."""


class StageField(StrEnum):
    """Block ids of the Move stage modal."""

    CRITERIA = "criteria"
    REASON = "reason"


class QualifyField(StrEnum):
    """Block ids of the MEDDIC and scorecard modal (the record's column names)."""

    METRICS = "metrics"
    ECONOMIC_BUYER = "economic_buyer_id"
    DECISION_CRITERIA = "decision_criteria"
    DECISION_PROCESS = "decision_process"
    IDENTIFIED_PAIN = "identified_pain"
    CHAMPION = "champion_id"
    BUDGET = "score_budget"
    AUTHORITY = "score_authority"
    NEED = "score_need"
    TIMELINE = "score_timeline"
    CHAMPION_SCORE = "score_champion"
    COMPETITION = "score_competition"


class DismissField(StrEnum):
    """Block ids of the dismiss-hypothesis modal."""

    REASON = "reason"


class OutreachField(StrEnum):
    """Block ids of the outreach modal."""

    DATE = "outreach_date"
    NOTE = "outreach_note"


FIELD_ACTION = "value"
"""The action id of the single input element inside each modal block."""
