"""Every form the bot opens, built from the store: each loader takes the read-only session, the
route's typed value and the request (`commands.request.Request`), and returns the view, or a
notice to show in its place. They run once the loading view is up and the route's need has
been checked (`commands.contract`), so they neither ask Slack nor check rights themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from commands.payloads import AccountVerb, BlockAction, MessageShortcut
from commands.replies import AskedCommand, assessed_accounts
from commands.request import Request
from commands.ui.delivery import is_channel
from commands.ui.fields import TEXT
from commands.ui.ids import ContactField, ItemMenu, StakeholderMenu
from commands.ui.text import escape
from commands.ui.values import (
    AccountValue,
    CatalogueEntryValue,
    ItemMenuValue,
    LeadValue,
    ModalMeta,
    NewAccountValue,
    NewPersonValue,
    OpportunityValue,
    PersonMenuValue,
    RenewalAnswerValue,
    SectionValue,
)
from commands.ui.views.account import account_form
from commands.ui.views.catalogue import entry_form
from commands.ui.views.leads import opportunity_form, outreach_form
from commands.ui.views.override import override_form, renewal_form
from commands.ui.views.people import (
    contact_form,
    departed_form,
    promoted_form,
    sentiment_form,
    stakeholder_form,
)
from commands.ui.views.plan import (
    Origin,
    action_form,
    block_form,
    origin_of,
    reschedule_form,
    task_form,
)
from commands.ui.views.renewal import answer_form
from commands.ui.views.save_plan import save_plan_form
from commands.ui.views.settings import (
    leads_form,
    revenue_form,
    settings_form,
    settings_menu,
    thresholds_form,
)
from commands.ui.views.usage import usage_form
from store.accounts import find_account_by_channel, get_account
from store.actions import get_action_item
from store.catalogue import catalogue, in_use
from store.champion_leads import LeadRow, lead_rows
from store.departments import list_departments
from store.enums import ActionStatus, ItemKind, Role
from store.leads import team_leads
from store.models import Account, ChampionLead, Opportunity, saved_id
from store.opportunities import lead_customer, new_logo_refusal
from store.overrides import override_version
from store.plays import draft_save_plan
from store.renewals import add_months, already_recorded
from store.revenue import currencies_in_use
from store.rows import AccountRow
from store.settings import (
    DigestSettings,
    SettingsSection,
    digest_settings_of,
    revenue_settings,
    settings_history,
    settings_version,
    thresholds_for,
)
from store.signals import Band, assess
from store.snapshots import load_snapshots
from store.stakeholders import get_stakeholder, list_stakeholders
from store.usage import readings_of

View = dict[str, Any]
ACCOUNT_GONE = "That account no longer exists."
PERSON_GONE = "That stakeholder is no longer on the map."
ITEM_GONE = "That action item no longer exists."


# -- the account --------------------------------------------------------------------------------


def new_account(session: Session, asked: AskedCommand, request: Request) -> View:
    """`/account new [name]`: the name suggested, the channel it was typed in linked."""
    slash = asked.slash
    return account_form(
        meta=ModalMeta(response_url=slash.response_url),
        name=asked.request.name,
        channel_id=slash.channel_id if slash.in_channel else None,
        owner_user_id=slash.user_id,
    )  # reads nothing (it opens even while the store is busy): products come on Edit account


def new_account_offered(session: Session | None, value: NewAccountValue, request: Request) -> View:
    """ "Create …" after a name matched nothing (built from the click alone)."""
    channel = request.channel_id
    return account_form(
        meta=ModalMeta(response_url=request.response_url),
        name=value.name,
        channel_id=channel if channel and is_channel(channel, dm=False) else None,
        owner_user_id=request.user_id,
    )


def inactive(account: Account | AccountRow) -> str | None:
    """Why a churned account takes no more plans, overrides, stages or readings (an old card's
    buttons still offer them): it is inactive, its history kept."""
    if account.churned_on is None:
        return None
    return (
        f"{escape(account.name)} churned ({account.churned_on:%-d %b %Y}): it is inactive, with "
        "no band, plan or readings to change. Its history is kept (`History` on its card)."
    )


def override_band(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Override band": the rules' band and reasons, then the owner's band, why and
    until when (the override in force, if any, filled in)."""
    snapshots = load_snapshots(session, team_id=request.team_id, account_ids=[value.account_id])
    if not snapshots:
        return ACCOUNT_GONE
    [snapshot] = snapshots
    if refused := inactive(snapshot.account):
        return refused
    assessment = assess(
        snapshot,
        today=request.today,
        thresholds=thresholds_for(session, team_id=request.team_id),
    )
    meta = ModalMeta(
        account_id=value.account_id,
        response_url=request.response_url,
        replace_card=True,
        version=override_version(session, team_id=request.team_id, account_id=value.account_id),
    )
    return override_form(
        meta=meta, name=snapshot.account.name, assessment=assessment, today=request.today
    )


def _on_card(account: Account, request: Request) -> ModalMeta:
    """A form of the account opened from its card: saved over the version the card showed, the
    card redrawn after."""
    return ModalMeta(
        account_id=account.id,
        response_url=request.response_url,
        replace_card=True,
        version=account.version,
    )


def record_usage(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Record usage": a reading for today, the latest readings above it."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    if refused := inactive(account):
        return refused
    latest = readings_of(session, team_id=request.team_id, account_id=saved_id(account.id))
    meta = ModalMeta(account_id=account.id, response_url=request.response_url, replace_card=True)
    departments = list_departments(
        session, team_id=request.team_id, account_id=saved_id(account.id)
    )
    return usage_form(
        meta=meta, account=account, latest=latest, today=request.today, departments=departments
    )


def renewal_stage(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Renewal stage": the stage, signed date and notice date, filled in."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    if refused := inactive(account):
        return refused
    meta = _on_card(account, request)
    return renewal_form(meta=meta, account=account, today=request.today)


def renewal_answer(session: Session, value: RenewalAnswerValue, request: Request) -> View | str:
    """An answer under "Did Acme renew?": its small form, unless the renewal is recorded."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    if refused := already_recorded(session, account, value.renewal_date):
        return refused
    meta = ModalMeta(account_id=account.id, renewal_on=value.renewal_date, outcome=value.outcome)
    return answer_form(
        meta=meta,
        name=account.name,
        outcome=value.outcome,
        arr=account.arr,
        currency=account.currency,
        renewal_date=value.renewal_date,
        next_renewal=add_months(value.renewal_date, account.contract_months),
        today=request.today,
    )


def edit_account(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Edit account" (or a pick among several names): the form, filled in."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    return _with_products(session, account, _on_card(account, request))


def edit_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account edit Acme`."""
    return _named(session, asked, request, _edit_form)


def _edit_form(session: Session, account: Account, meta: ModalMeta, request: Request) -> View:
    return _with_products(session, account, meta.model_copy(update={"version": account.version}))


def _with_products(session: Session, account: Account, meta: ModalMeta) -> View:
    """The account form filled in, with the catalogue and the entries the account uses."""
    team_id, account_id = account.team_id, saved_id(account.id)
    return account_form(
        meta=meta,
        account=account,
        catalogue=catalogue(session, team_id=team_id),
        in_use=in_use(session, team_id=team_id, account_id=account_id),
    )


# -- people ---------------------------------------------------------------------------------------


def new_person(session: Session, value: NewPersonValue, request: Request) -> View | str:
    """The card's "Add stakeholder", or "Add their replacement" under a departure alert (the
    departed person's role chosen; the alert is not a card, so nothing is redrawn)."""
    return _person_form(
        session,
        request,
        account_id=value.account_id,
        role=value.role,
        replace_card=value.role is None,
    )


def person_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account Acme stakeholder`."""

    def build(session: Session, account: Account, meta: ModalMeta, request: Request) -> View:
        account_id = saved_id(account.id)
        people = list_stakeholders(session, team_id=request.team_id, account_id=account_id)
        known = list_departments(session, team_id=request.team_id, account_id=account_id)
        return stakeholder_form(
            meta=meta, account=account, people=people, today=request.today, departments=known
        )

    return _named(session, asked, request, build)


def edit_person(session: Session, value: PersonMenuValue, request: Request) -> View | str:
    person = get_stakeholder(session, team_id=request.team_id, stakeholder_id=value.stakeholder_id)
    if person is None:
        return PERSON_GONE
    return _person_form(
        session, request, account_id=person.account_id, stakeholder_id=person.id, replace_card=True
    )


def change_person(session: Session, value: PersonMenuValue, request: Request) -> View | str:
    """The one-field changes of the menu beside a person: sentiment, departed, promoted."""
    person = get_stakeholder(session, team_id=request.team_id, stakeholder_id=value.stakeholder_id)
    if person is None:
        return PERSON_GONE
    meta = ModalMeta(
        account_id=person.account_id,
        stakeholder_id=person.id,
        response_url=request.response_url,
        replace_card=True,
        version=person.version,
    )
    if value.choice is StakeholderMenu.SENTIMENT:
        return sentiment_form(meta=meta, person=person)
    if value.choice is StakeholderMenu.DEPARTED:
        return departed_form(meta=meta, person=person, today=request.today)
    return promoted_form(meta=meta, person=person)


def _person_form(
    session: Session,
    request: Request,
    *,
    account_id: int,
    role: Role | None = None,
    stakeholder_id: int | None = None,
    replace_card: bool = False,
) -> View | str:
    """The add (or edit) stakeholder form of an account."""
    account = get_account(session, team_id=request.team_id, account_id=account_id)
    if account is None:
        return ACCOUNT_GONE
    people = list_stakeholders(session, team_id=request.team_id, account_id=account_id)
    person = next((p for p in people if p.id == stakeholder_id), None)
    if stakeholder_id is not None and person is None:
        return PERSON_GONE
    meta = ModalMeta(
        account_id=account_id,
        stakeholder_id=stakeholder_id,
        response_url=request.response_url,
        replace_card=replace_card,
        version=person.version if person else None,
    )
    return stakeholder_form(
        meta=meta,
        account=account,
        people=people,
        person=person,
        role=role,
        today=request.today,
        departments=list_departments(session, team_id=request.team_id, account_id=account_id),
    )


# -- contacts -------------------------------------------------------------------------------------


def log_contact(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Log contact"."""
    meta = ModalMeta(response_url=request.response_url, replace_card=True)
    return contact_view(
        session,
        team_id=request.team_id,
        today=request.today,
        account_id=value.account_id,
        meta=meta,
    )


def contact_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account Acme contact`."""

    def build(session: Session, account: Account, meta: ModalMeta, request: Request) -> View | str:
        return contact_view(
            session, team_id=request.team_id, today=request.today, account_id=account.id, meta=meta
        )

    return _named(session, asked, request, build)


def log_message(session: Session, value: MessageShortcut, request: Request) -> View | str:
    """The message shortcut: the message's text, date and link filled in (the link asked of
    Slack beforehand, `commands.contacts.with_permalink`); in an account's channel that account
    picked, elsewhere the user picks one."""
    account = find_account_by_channel(session, team_id=request.team_id, channel_id=value.channel_id)
    return contact_view(
        session,
        team_id=request.team_id,
        today=request.today,
        account_id=None if account is None else account.id,
        meta=ModalMeta(message_link=value.permalink),
        choose_account=True,
        values={
            ContactField.SUMMARY: value.text[:TEXT],
            ContactField.DATE: value.posted_on.isoformat(),
        },
    )


def contact_view(
    session: Session,
    *,
    team_id: str,
    today: date,
    account_id: int | None,
    meta: ModalMeta,
    choose_account: bool = False,
    values: dict[str, Any] | None = None,
) -> View | str:
    """The contact form of an account (or, with `choose_account`, of the one to pick)."""
    account = (
        None if account_id is None else get_account(session, team_id=team_id, account_id=account_id)
    )
    if account_id is not None and account is None:
        return ACCOUNT_GONE
    people = (
        []
        if account is None
        else list_stakeholders(session, team_id=team_id, account_id=saved_id(account.id))
    )
    return contact_form(
        meta=meta.model_copy(update={"account_id": account_id}),
        people=people,
        today=today,
        account=account,
        choose_account=choose_account,
        values=values,
    )


# -- mutual-action items --------------------------------------------------------------------------


def add_item(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's (or plan's) "Add action item"."""
    meta = ModalMeta(
        account_id=value.account_id, response_url=request.response_url, replace_card=True
    )
    return _item_form(session, request, account_id=value.account_id, meta=meta)


def add_task(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Add task": an internal task, an owner on our side only."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    if refused := inactive(account):
        return refused
    meta = ModalMeta(
        account_id=value.account_id, response_url=request.response_url, replace_card=True
    )
    return task_form(meta=meta, account=account, today=request.today, our_owner=request.user_id)


def save_plan(session: Session, value: AccountValue, request: Request) -> View | str:
    """A red card's "Save plan": the form, pre-filled with the plan the signals call for."""
    found = assessed_accounts(
        session, team_id=request.team_id, today=request.today, account_ids=[value.account_id]
    )
    if not found:
        return ACCOUNT_GONE
    snapshot, assessment = found[0]
    if refused := inactive(snapshot.account):
        return refused
    if assessment.band is not Band.RED:
        return (
            f"{snapshot.account.name} is {assessment.band.value}: a save plan is for a red "
            "account (yellow gets stabilisation steps, green expansion)."
        )
    meta = ModalMeta(
        account_id=value.account_id,
        response_url=request.response_url,
        replace_card=True,
        version=snapshot.save_plan.id if snapshot.save_plan is not None else 0,  # the plan seen
    )
    return save_plan_form(
        meta=meta,
        account_name=snapshot.account.name,
        draft=draft_save_plan(snapshot, assessment, today=request.today),
        today=request.today,
        replacing=snapshot.save_plan is not None,
    )


def item_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account Acme action`."""

    def build(session: Session, account: Account, meta: ModalMeta, request: Request) -> View | str:
        return _item_form(session, request, account_id=saved_id(account.id), meta=meta)

    return _named(session, asked, request, build)


def change_item(session: Session, value: ItemMenuValue, request: Request) -> View | str:
    """The menu beside an item: edit (an internal task in its own form, ours only), reschedule,
    mark blocked (a closed item is said so)."""
    item = get_action_item(session, team_id=request.team_id, item_id=value.item_id)
    if item is None:
        return ITEM_GONE
    if item.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
        return f"That item is {item.status.value} already."
    meta = ModalMeta(
        account_id=item.account_id,
        response_url=request.response_url,
        replace_card=_from_card(request),
        item_id=item.id,
        version=item.version,
    )
    if value.choice is ItemMenu.EDIT and item.kind is ItemKind.INTERNAL:
        account = get_account(session, team_id=request.team_id, account_id=item.account_id)
        if account is None:
            return ACCOUNT_GONE
        return task_form(meta=meta, account=account, today=request.today, our_owner=None, task=item)
    if value.choice is ItemMenu.EDIT:
        return _item_form(session, request, account_id=item.account_id, meta=meta, item_id=item.id)
    if value.choice is ItemMenu.RESCHEDULE:
        return reschedule_form(meta=meta, item=item, today=request.today)
    return block_form(meta=meta, item=item)


def _from_card(request: Request) -> bool:
    """Whether the click came from a card (not the plan or a reminder): the card is redrawn."""
    return origin_of(BlockAction.model_validate(request.body).block_id) is Origin.CARD


def _item_form(
    session: Session,
    request: Request,
    *,
    account_id: int,
    meta: ModalMeta,
    item_id: int | None = None,
) -> View | str:
    """The add (or edit) action item form of an account."""
    account = get_account(session, team_id=request.team_id, account_id=account_id)
    if account is None:
        return ACCOUNT_GONE
    if refused := inactive(account):
        return refused
    item = None
    if item_id is not None:
        item = get_action_item(session, team_id=request.team_id, item_id=item_id)
        if item is None:
            return ITEM_GONE
        meta = meta.model_copy(update={"version": item.version})
    people = list_stakeholders(session, team_id=request.team_id, account_id=account_id)
    return action_form(
        meta=meta,
        account=account,
        people=people,
        today=request.today,
        item=item,
        our_owner=request.user_id,
    )


# -- team settings --------------------------------------------------------------------------------


def settings_menu_of(
    session: Session, *, team_id: str, defaults: DigestSettings, today: date
) -> View:
    """The settings menu: what is in force in each section, and the latest changes."""
    return settings_menu(
        meta=ModalMeta(),
        digests=digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id],
        thresholds=thresholds_for(session, team_id=team_id),
        leads=team_leads(session, team_id=team_id),
        revenue=revenue_settings(session, team_id=team_id),
        catalogue=catalogue(session, team_id=team_id),
        history=settings_history(session, team_id=team_id),
        today=today,
    )


def team_settings(session: Session, asked: AskedCommand, request: Request) -> View:
    """`/account settings` (admins: checked before, once the loading view is up)."""
    return settings_menu_of(
        session, team_id=request.team_id, defaults=request.digest_defaults, today=request.today
    )


def settings_section(session: Session, value: SectionValue, request: Request) -> View | str:
    """A section's form, carrying the version of the settings it shows (see `save_settings`)."""
    team_id = request.team_id
    meta = ModalMeta(version=settings_version(session, team_id=team_id))
    if value.section is SettingsSection.THRESHOLDS:
        return thresholds_form(meta=meta, current=thresholds_for(session, team_id=team_id))
    if value.section is SettingsSection.LEADS:
        return leads_form(meta=meta, current=team_leads(session, team_id=team_id))
    if value.section is SettingsSection.REVENUE:
        return revenue_form(
            meta=meta,
            current=revenue_settings(session, team_id=team_id),
            in_use=currencies_in_use(session, team_id=team_id),
        )
    if value.section is SettingsSection.CATALOGUE:
        return _entry_form(session, team_id=team_id, meta=meta, entry_id=None)
    defaults = request.digest_defaults
    current = digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id]
    return settings_form(meta=meta, current=current)


def catalogue_entry(session: Session, value: CatalogueEntryValue, request: Request) -> View | str:
    """An entry of the catalogue to change or remove, over the settings version it shows."""
    team_id = request.team_id
    meta = ModalMeta(version=settings_version(session, team_id=team_id), entry_id=value.entry_id)
    return _entry_form(session, team_id=team_id, meta=meta, entry_id=value.entry_id)


def _entry_form(
    session: Session, *, team_id: str, meta: ModalMeta, entry_id: int | None
) -> View | str:
    entries = catalogue(session, team_id=team_id)
    current = next((e for e in entries if e.id == entry_id), None)
    if entry_id is not None and current is None:
        return "That entry is no longer in the catalogue."
    return entry_form(
        meta=meta,
        entries=entries,
        current=current,
        reporting_currency=revenue_settings(session, team_id=team_id).currency,
    )


# -- forms of an account named in /account's text ---------------------------------------------

NamedForm = Callable[[Session, Account, ModalMeta, Request], "View | str"]
"""A form of the account `/account`'s text names, found and checked before (`Find.NAMED`)."""


def _named(session: Session, asked: AskedCommand, request: Request, build: NamedForm) -> View | str:
    """The form `/account edit|… stakeholder|… contact|… action` opens for the account its text
    names (or the channel's), as found (and checked) before the loader runs."""
    account = asked.account
    if account is None:
        return ACCOUNT_GONE
    current = get_account(session, team_id=request.team_id, account_id=saved_id(account.id))
    if current is None:
        return ACCOUNT_GONE
    meta = ModalMeta(account_id=current.id, response_url=asked.slash.response_url)
    return build(session, current, meta, request)


# -- leads from champion moves ------------------------------------------------------------------

LEAD_GONE = "That lead no longer exists."


def _lead(session: Session, request: Request, lead_id: int) -> LeadRow | None:
    found = lead_rows(session, team_id=request.team_id, lead_id=lead_id)
    return found[0] if found else None


def lead_account(session: Session, value: LeadValue, request: Request) -> View | str:
    """ "Create account" on `/account leads`: the new-account form, named after the lead's
    company; saved, the lead is converted and its person offered as the first stakeholder."""
    lead = _lead(session, request, value.lead_id)
    if lead is None:
        return LEAD_GONE
    return account_form(
        meta=ModalMeta(response_url=request.response_url, lead_id=lead.id),
        name=lead.company,
        owner_user_id=request.user_id,
    )


def lead_outreach(session: Session, value: LeadValue, request: Request) -> View | str:
    """ "Log outreach" on `/account leads`."""
    lead = _lead(session, request, value.lead_id)
    if lead is None:
        return LEAD_GONE
    meta = ModalMeta(response_url=request.response_url, lead_id=lead.id)
    return outreach_form(meta=meta, lead=lead, today=request.today)


def lead_opportunity(session: Session, value: LeadValue, request: Request) -> View | str:
    """ "Create opportunity" on `/account leads`: a new logo of the lead's company."""
    lead = _lead(session, request, value.lead_id)
    if lead is None:
        return LEAD_GONE
    if customer := lead_customer(session, team_id=request.team_id, lead_id=lead.id):
        return escape(new_logo_refusal(customer))  # an old list's button
    return opportunity_form(
        meta=ModalMeta(response_url=request.response_url, lead_id=lead.id),
        about=f"New logo: {lead.company}, through {lead.person_name}"
        f" (championed us at {lead.from_account}).",
        owner=request.user_id,
        currency=revenue_settings(session, team_id=request.team_id).currency,
        trigger=f"Champion move: {lead.person_name} left {lead.from_account} for {lead.company}",
    )


def edit_opportunity(session: Session, value: OpportunityValue, request: Request) -> View | str:
    """A lead's opportunity, in the Opportunity form filled in."""
    opportunity = session.get(Opportunity, value.opportunity_id)
    if opportunity is None or opportunity.team_id != request.team_id:
        return "That opportunity no longer exists."
    lead = _lead(session, request, opportunity.lead_id) if opportunity.lead_id else None
    if lead is None:
        return "That opportunity is not a lead's: it is not edited here."
    meta = ModalMeta(
        response_url=request.response_url,
        lead_id=lead.id,
        opportunity_id=opportunity.id,
        version=opportunity.version,
    )
    return opportunity_form(
        meta=meta,
        about=f"New logo: {lead.company}, through {lead.person_name}.",
        owner=request.user_id,
        currency=opportunity.currency,
        current=opportunity,
    )


def lead_person(session: Session, value: LeadValue, request: Request) -> View | str:
    """The person of a converted lead, offered as the first stakeholder of the account made
    from it: the Add stakeholder form with their name, new title and role filled in."""
    lead = session.get(ChampionLead, value.lead_id)
    if lead is None or lead.team_id != request.team_id:
        return LEAD_GONE
    if lead.converted_account_id is None:
        return "No account was made from this lead yet."
    account = get_account(session, team_id=request.team_id, account_id=lead.converted_account_id)
    if account is None:
        return ACCOUNT_GONE
    people = list_stakeholders(session, team_id=request.team_id, account_id=saved_id(account.id))
    return stakeholder_form(
        meta=ModalMeta(account_id=account.id, response_url=request.response_url),
        account=account,
        people=people,
        role=lead.role,
        today=request.today,
        suggested=(lead.person_name, lead.title),
    )


COMMAND_TITLES = {
    AccountVerb.NEW: "New account",
    AccountVerb.EDIT: "Edit account",
    AccountVerb.STAKEHOLDER: "Add stakeholder",
    AccountVerb.CONTACT: "Log contact",
    AccountVerb.ITEM: "Add action item",
    AccountVerb.SETTINGS: "Team settings",
    AccountVerb.EVENT: "Log event",
    AccountVerb.DEPARTMENTS: "Departments",
}
