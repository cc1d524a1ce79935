"""Everything the bot answers, and who may use it: one entry per listener, wired by `register`.

Each entry names the Slack kind and id (`commands.ui.ids`), what serves it (a listener, or the
title and loader of the form it opens), the typed value it reads (`commands.ui.values`), its
need (`commands.needs`) and how the account the need is checked against is found (`Find`).
`commands.contract` serves them: the value decoded and the need checked before the listener
runs, a refusal answered where the user looks. A new listener is a new line here.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from slack_bolt import App, Args

from commands import (
    account,
    contacts,
    deals,
    growth,
    history,
    home,
    leads,
    loaders,
    org,
    override,
    people,
    pipeline,
    plan,
    renewals,
    replies,
    revenue,
    save_plan,
    team_settings,
    usage,
)
from commands import workspace as ws
from commands.access import Access
from commands.contract import (
    Answer,
    Find,
    Form,
    InModal,
    Listen,
    Listener,
    Modal,
    Route,
    Verb,
    action_listener,
    answer_verb,
    command_listener,
    form_listener,
    parameters,
    plain_listener,
    shortcut_listener,
)
from commands.needs import ADMIN, ANYONE, CHANGE, CHANGE_OR_LEAD, LEAD, OWNER_OR_ADMIN, SEE
from commands.payloads import AccountVerb as V
from commands.payloads import MessageShortcut, SlashCommand
from commands.replies import read_command
from commands.request import CONTEXT, Request
from commands.ui.ids import Action as A
from commands.ui.ids import Command, Event, ItemMenu, Shortcut, StakeholderMenu
from commands.ui.ids import View as F
from commands.ui.values import (
    AccountPick,
    AccountValue,
    CatalogueEntryValue,
    ChannelPick,
    DealStageValue,
    DealValue,
    FullCardValue,
    HistoryValue,
    HypothesisValue,
    ItemMenuValue,
    ItemValue,
    LeadValue,
    NewAccountValue,
    NewLeaderValue,
    NewPersonValue,
    OpportunityValue,
    PersonMenuValue,
    RenewalAnswerValue,
    SectionValue,
)
from commands.ui.views.blocks import Block
from store.db import Database
from store.settings import DigestSettings, SettingsSection

TITLES = loaders.COMMAND_TITLES
SETTINGS_BLOCKS = team_settings.FIRST_BLOCKS


def settings_form(view: F, listener: Listener, section: SettingsSection) -> Form:
    """A section of `/account settings` saved: admins only, about no account, a refusal of the
    whole form shown beside the section's first input."""
    return Form(view, listener, ADMIN, account=Find.NONE, refused_beside=SETTINGS_BLOCKS[section])


VERBS: tuple[Verb, ...] = (
    # /account <text>, read by the grammar (commands.payloads); each verb answered or a form
    Verb(V.HELP, ANYONE, answer=replies.help_answer),
    Verb(V.USAGE, ANYONE, answer=replies.usage_answer),
    Verb(V.HERE_OR_MINE, SEE, answer=replies.card_answer, account=Find.NAMED),
    Verb(V.SHOW, SEE, answer=replies.card_answer, account=Find.NAMED),
    Verb(V.PLAN, SEE, answer=replies.plan_answer, account=Find.NAMED),
    Verb(V.HISTORY, SEE, answer=replies.history_answer, account=Find.NAMED),
    Verb(V.PORTFOLIO, LEAD, answer=replies.team_portfolio_answer),
    Verb(V.REVENUE, SEE, answer=revenue.account_revenue_answer, account=Find.NAMED),
    Verb(V.GROW, SEE, answer=growth.grow_answer, account=Find.NAMED),
    Verb(V.DEALS, SEE, answer=deals.deals_answer, account=Find.NAMED),
    # the user's own accounts, or the whole team's for leads and admins (the answer decides)
    Verb(V.TEAM_REVENUE, ANYONE, answer=revenue.team_revenue_answer),
    # former champions at new companies: the whole team's (people we know, not customer internals)
    Verb(V.LEADS, ANYONE, answer=leads.leads_answer),
    Verb(V.EXPANSION, ANYONE, answer=pipeline.expansion_answer),  # the team's for leads
    Verb(V.NEW, ANYONE, title=TITLES[V.NEW], loader=loaders.new_account),
    Verb(V.EDIT, CHANGE, title=TITLES[V.EDIT], loader=loaders.edit_named, account=Find.NAMED),
    Verb(
        V.STAKEHOLDER,
        CHANGE,
        title=TITLES[V.STAKEHOLDER],
        loader=loaders.person_named,
        account=Find.NAMED,
    ),
    Verb(
        V.CONTACT, CHANGE, title=TITLES[V.CONTACT], loader=loaders.contact_named, account=Find.NAMED
    ),
    Verb(V.ITEM, CHANGE, title=TITLES[V.ITEM], loader=loaders.item_named, account=Find.NAMED),
    Verb(V.SETTINGS, ADMIN, title=TITLES[V.SETTINGS], loader=loaders.team_settings),
    Verb(V.EVENT, CHANGE, title=TITLES[V.EVENT], loader=org.event_named, account=Find.NAMED),
    Verb(
        V.DEPARTMENTS,
        OWNER_OR_ADMIN,
        title=TITLES[V.DEPARTMENTS],
        loader=org.departments_named,
        account=Find.NAMED,
    ),
)

ROUTES: tuple[Route, ...] = (
    Listen(Command.ACCOUNT, command_listener(VERBS), ANYONE, kind="command"),  # each verb: above
    # buttons and menus on messages (cards, plans, reminders, alerts, choices)
    Answer(A.SHOW_ACCOUNT, account.show_account, AccountValue, SEE),
    Answer(A.SHARE_CARD, account.share_card, AccountValue, SEE),
    Answer(A.FULL_CARD, account.full_card, FullCardValue, SEE),  # a weekly digest's button
    Answer(A.HISTORY_PAGE, history.show_history, HistoryValue, SEE),
    Answer(A.ITEM_DONE, plan.complete_item, ItemValue, CHANGE),
    Answer(A.TASK_REOPEN, plan.reopen_item, ItemValue, CHANGE),
    Answer(A.SHOW_SAVE_PLAN, save_plan.show_save_plan, AccountValue, SEE),
    Answer(A.SHOW_GROWTH, growth.show_growth, AccountValue, SEE),
    # the growth view's hypotheses: the store finds each in the account the value names only
    Modal(A.CONVERT_HYPOTHESIS, "Opportunity", growth.convert_loader, HypothesisValue, CHANGE),
    Modal(A.DISMISS_HYPOTHESIS, "Dismiss", growth.dismiss_loader, HypothesisValue, CHANGE),
    # an account's deals: the store finds each deal in the account the value names only
    Answer(A.SHOW_DEALS, deals.show_deals, AccountValue, SEE),
    Modal(A.ADD_DEAL, "Add deal", deals.add_deal, AccountValue, CHANGE),
    Modal(A.EDIT_DEAL, "Opportunity", deals.edit_deal, DealValue, CHANGE),
    Modal(A.MOVE_STAGE, "Move stage", deals.stage_loader, DealStageValue, CHANGE),
    Modal(A.QUALIFY_DEAL, "MEDDIC / score", deals.qualify_loader, DealValue, CHANGE),
    Answer(A.ITEM_MENU, plan.cancel_item, ItemMenuValue, CHANGE, choice=ItemMenu.CANCEL),
    Answer(A.ITEM_MENU, plan.unblock_item, ItemMenuValue, CHANGE, choice=ItemMenu.UNBLOCK),
    Modal(A.EDIT_ACCOUNT, "Edit account", loaders.edit_account, AccountValue, CHANGE),
    Modal(A.OVERRIDE_BAND, "Override band", loaders.override_band, AccountValue, CHANGE),
    Modal(A.RENEWAL_STAGE, "Renewal stage", loaders.renewal_stage, AccountValue, CHANGE),
    Modal(A.RECORD_USAGE, "Record usage", loaders.record_usage, AccountValue, CHANGE),
    Modal(A.DEPARTMENTS, "Departments", org.departments, AccountValue, OWNER_OR_ADMIN),
    Modal(A.LOG_EVENT, "Log event", org.log_event_form, AccountValue, CHANGE),
    # shown after a high-influence executive joins a map: logged only when the form is saved
    Modal(A.NEW_LEADER_EVENT, "Log event", org.new_leader_event, NewLeaderValue, CHANGE),
    # "Did Acme renew?" (a DM): its owner, or the team's leads when the owner left
    Modal(
        A.RENEWAL_ANSWER,
        "Did it renew?",
        loaders.renewal_answer,
        RenewalAnswerValue,
        CHANGE_OR_LEAD,
    ),
    Modal(
        A.CREATE_ACCOUNT,
        "New account",
        loaders.new_account_offered,
        NewAccountValue,
        ANYONE,
        account=Find.NONE,
        reads_store=False,
    ),
    Modal(A.ADD_STAKEHOLDER, "Add stakeholder", loaders.new_person, NewPersonValue, CHANGE),
    Modal(
        A.STAKEHOLDER_MENU,
        "Edit stakeholder",
        loaders.edit_person,
        PersonMenuValue,
        CHANGE,
        choice=StakeholderMenu.EDIT,
    ),
    Modal(
        A.STAKEHOLDER_MENU,
        "Change sentiment",
        loaders.change_person,
        PersonMenuValue,
        CHANGE,
        choice=StakeholderMenu.SENTIMENT,
    ),
    Modal(
        A.STAKEHOLDER_MENU,
        "Mark departed",
        loaders.change_person,
        PersonMenuValue,
        CHANGE,
        choice=StakeholderMenu.DEPARTED,
    ),
    Modal(
        A.STAKEHOLDER_MENU,
        "Mark promoted",
        loaders.change_person,
        PersonMenuValue,
        CHANGE,
        choice=StakeholderMenu.PROMOTED,
    ),
    Modal(A.LOG_CONTACT, "Log contact", loaders.log_contact, AccountValue, CHANGE),
    Modal(A.ADD_ITEM, "Add action item", loaders.add_item, AccountValue, CHANGE),
    Modal(A.ADD_TASK, "Add task", loaders.add_task, AccountValue, CHANGE),
    Modal(A.SAVE_PLAN, "Save plan", loaders.save_plan, AccountValue, CHANGE),
    Modal(  # an action item's form, or an internal task's (the loader tells them apart)
        A.ITEM_MENU,
        "Edit",
        loaders.change_item,
        ItemMenuValue,
        CHANGE,
        choice=ItemMenu.EDIT,
    ),
    Modal(
        A.ITEM_MENU,
        "Reschedule",
        loaders.change_item,
        ItemMenuValue,
        CHANGE,
        choice=ItemMenu.RESCHEDULE,
    ),
    Modal(
        A.ITEM_MENU,
        "Mark blocked",
        loaders.change_item,
        ItemMenuValue,
        CHANGE,
        choice=ItemMenu.BLOCK,
    ),
    # a shortcut on any message
    Modal(
        Shortcut.LOG_MESSAGE,
        "Log contact",
        loaders.log_message,
        MessageShortcut,
        CHANGE,
        account=Find.BUILT,
        prepare=contacts.with_permalink,
    ),
    Modal(
        Shortcut.LOG_EVENT,
        "Log event",
        org.event_from_message,
        MessageShortcut,
        CHANGE,
        account=Find.BUILT,
    ),
    # inside forms
    Modal(
        A.SETTINGS_SECTION,
        "Team settings",
        loaders.settings_section,
        SectionValue,
        ADMIN,
        account=Find.NONE,
        over=True,
    ),
    Modal(
        A.CATALOGUE_ENTRY,
        "Product catalogue",
        loaders.catalogue_entry,
        CatalogueEntryValue,
        ADMIN,
        account=Find.NONE,
        over=True,
    ),
    # leads from champion moves (`/account leads`): anyone on the team; the store finds each lead
    # in the request's team only, so a value naming another team's is gone
    Modal(A.LEAD_ACCOUNT, "New account", loaders.lead_account, LeadValue, ANYONE, Find.NONE),
    Modal(A.LEAD_OUTREACH, "Log outreach", loaders.lead_outreach, LeadValue, ANYONE, Find.NONE),
    Modal(
        A.LEAD_OPPORTUNITY, "Opportunity", loaders.lead_opportunity, LeadValue, ANYONE, Find.NONE
    ),
    Modal(
        A.EDIT_OPPORTUNITY,
        "Opportunity",
        loaders.edit_opportunity,
        OpportunityValue,
        ANYONE,
        Find.NONE,
    ),
    # the person of a converted lead, onto the account made from it: who may change that account
    Modal(
        A.LEAD_STAKEHOLDER, "Add stakeholder", loaders.lead_person, LeadValue, CHANGE, Find.BUILT
    ),
    InModal(A.CONTACT_ACCOUNT, contacts.redraw_for_account, AccountPick, CHANGE, "Log contact"),
    # the account form's channel picked: a warning redrawn, nothing read (saving re-checks it)
    InModal(
        A.ACCOUNT_CHANNEL, account.warn_about_channel, ChannelPick, ANYONE, "Account", Find.NONE
    ),
    # the type-ahead offers only accounts the user may change (it filters by their rights)
    Listen(A.CONTACT_ACCOUNT, contacts.account_options, ANYONE, kind="options"),
    # forms submitted: the need checked again against what the write touches
    Form(F.ACCOUNT_FORM, account.save_account_form, CHANGE),
    Form(F.STAKEHOLDER_FORM, people.save_stakeholder_form, CHANGE),
    Form(F.SENTIMENT_FORM, people.save_sentiment, CHANGE),
    Form(F.DEPARTED_FORM, people.save_departure, CHANGE),
    Form(F.OVERRIDE_FORM, override.save_override, CHANGE),
    Form(F.RENEWAL_FORM, override.save_renewal, CHANGE),
    Form(F.USAGE_FORM, usage.save_usage, CHANGE),
    Form(F.RENEWAL_ANSWER_FORM, renewals.save_renewal_answer, CHANGE_OR_LEAD),
    Form(F.PROMOTED_FORM, people.save_promotion, CHANGE),
    Form(F.CONTACT_FORM, contacts.save_contact, CHANGE, target=contacts.chosen_account),
    Form(F.ITEM_FORM, plan.save_item_form, CHANGE),
    Form(F.RESCHEDULE_FORM, plan.save_reschedule, CHANGE),
    Form(F.BLOCK_FORM, plan.save_block, CHANGE),
    Form(F.TASK_FORM, plan.save_task_form, CHANGE),
    Form(F.SAVE_PLAN_FORM, save_plan.save_plan_form, CHANGE),
    Form(F.DEPARTMENTS_FORM, org.save_departments, OWNER_OR_ADMIN),
    Form(F.EVENT_FORM, org.save_event, CHANGE, target=contacts.chosen_account),
    Form(F.OUTREACH_FORM, leads.save_outreach, ANYONE, account=Find.NONE),
    Form(F.OPPORTUNITY_FORM, leads.save_opportunity, ANYONE, account=Find.NONE),  # a lead's
    Form(F.ACCOUNT_OPPORTUNITY_FORM, growth.save_account_opportunity, CHANGE),  # an account's
    Form(F.DISMISS_FORM, growth.save_dismissal, CHANGE),
    Form(F.DEAL_FORM, deals.save_deal, CHANGE),
    Form(F.STAGE_FORM, deals.save_stage, CHANGE),
    Form(F.QUALIFY_FORM, deals.save_qualification, CHANGE),
    settings_form(F.SETTINGS_FORM, team_settings.save_digest_settings, SettingsSection.DIGESTS),
    settings_form(F.THRESHOLDS_FORM, team_settings.save_thresholds, SettingsSection.THRESHOLDS),
    settings_form(F.LEADS_FORM, team_settings.save_leads_form, SettingsSection.LEADS),
    settings_form(
        F.REVENUE_SETTINGS_FORM, team_settings.save_revenue_settings, SettingsSection.REVENUE
    ),
    settings_form(F.CATALOGUE_FORM, team_settings.save_catalogue_entry, SettingsSection.CATALOGUE),
    # events
    Listen(Event.APP_HOME_OPENED, home.publish_home, ANYONE),  # the user's own accounts only
    # what Slack says of a channel's sharing, for every process (`commands.workspace`)
    *(Listen(event, ws.channel_changed, ANYONE) for event in ws.CHANNEL_EVENTS),
)
ONE_TOKEN_ROUTES: tuple[Route, ...] = (
    # with many workspaces, Bolt's own listeners delete a workspace's stored tokens instead
    Listen(Event.APP_UNINSTALLED, ws.report_uninstalled, ANYONE),
    Listen(Event.TOKENS_REVOKED, ws.report_uninstalled, ANYONE),
)


def answer_typed(
    db: Database, slash: SlashCommand, *, today: date, access: Access, defaults: DigestSettings
) -> list[Block] | None:
    """What `/account <text>` answers, served by its verb's route as in Slack (None: the verb
    opens a form). For the bot's terminal (`accountbot demo`)."""
    asked = read_command(db, slash=slash)
    verb = {route.verb: route for route in VERBS}[asked.request.verb]
    if verb.answer is None:
        return None
    request = Request(
        team_id=slash.team_id,
        user_id=slash.user_id,
        today=today,
        access=access,
        db=db,
        client=None,
        digest_defaults=defaults,
        response_url=slash.response_url,
        channel_id=slash.channel_id,
        body={},
    )
    return answer_verb(verb, request, asked)


class Undeclared(Exception):
    """A route registered without what the contract asks of it (a need; a value model)."""


ABOUT_AN_ACCOUNT = {SEE.name, CHANGE.name}
"""Needs checked against an account: a route with one must say how it finds the account."""


def check(routes: Sequence[Route]) -> None:
    """Every route declares its need, every action and form its typed value, and a need that a
    route can really check: refused at start, so no declaration is decorative."""
    shared: dict[str, list[Answer | Modal | InModal]] = defaultdict(list)
    for route in routes:
        need = getattr(route, "need", None)
        if need is None:
            raise Undeclared(f"{route_id(route)} declares no need (see commands.needs)")
        if isinstance(route, Answer | Modal | InModal) and getattr(route, "value", None) is None:
            raise Undeclared(f"{route_id(route)} declares no value model")
        if need.name in ABOUT_AN_ACCOUNT and getattr(route, "account", None) is Find.NONE:
            raise Undeclared(f"{route_id(route)} needs {need.name} but finds no account")
        if isinstance(route, Listen) and need.name in ABOUT_AN_ACCOUNT:
            raise Undeclared(f"{route_id(route)}: a {route.kind} has no account to check")
        if isinstance(route, Modal) and not route.reads_store and need is not ANYONE:
            raise Undeclared(f"{route_id(route)} is built from the click alone: it checks nothing")
        if isinstance(route, Listen) and route.kind == "command" and need is not ANYONE:
            raise Undeclared(f"{route_id(route)}: each verb declares its own need")
        if isinstance(route, Answer | Modal | InModal) and not isinstance(route.id, Shortcut):
            shared[str(route.id)].append(route)
        _check_arguments(route)
    for action, served in shared.items():
        if len({r.value for r in served}) > 1:
            raise Undeclared(f"{action}: the routes of one action read one value model")
        if len({getattr(r, "choice", None) for r in served}) < len(served):
            raise Undeclared(f"{action}: two routes serve the same option")


BOLT_ARGUMENTS = frozenset(inspect.signature(Args.__init__).parameters) - {"self", "kwargs"}


def _check_arguments(route: Route) -> None:
    """A listener names only arguments it will get (`commands.contract.call` fills them by name),
    so a misspelt one stops `register` rather than the first click."""
    listener = getattr(route, "listener", None)
    if listener is None or isinstance(route, Verb) or getattr(route, "kind", None) == "command":
        return
    unknown = set(parameters(listener)) - BOLT_ARGUMENTS - CONTEXT - {"value"}
    if unknown:
        raise Undeclared(f"{route_id(route)}: its listener asks for {', '.join(sorted(unknown))}")


def route_id(route: Route) -> str:
    for name in ("id", "view", "verb"):
        if (value := getattr(route, name, None)) is not None:
            return str(value)
    return repr(route)


def register(
    app: App, *, many_workspaces: bool = False, routes: Sequence[Route] | None = None
) -> None:
    """Wire every route into Bolt: one runner per Slack id (a menu's options routed apart share
    one), each serving its routes as `commands.contract` says, and one Bolt listener per kind of
    request that hands it to the runner of its id. (Bolt tries its listeners in turn, building
    each matcher's arguments: a few listeners instead of one per id keep that off every
    acknowledgement. An id no route serves still matches none: Bolt answers 404.)"""
    chosen = list(ROUTES if routes is None else routes)
    if routes is None and not many_workspaces:
        chosen += ONE_TOKEN_ROUTES
    check(chosen)
    if routes is None:
        check(VERBS)
    if many_workspaces:  # Bolt deletes the workspace's stored tokens
        app.enable_token_revocation_listeners()
    actions: dict[str, list[Answer | Modal | InModal]] = defaultdict(list)
    runners: dict[str, dict[str, Runner]] = defaultdict(dict)  # kind -> Slack id -> runner
    for route in chosen:
        if isinstance(route, Answer | InModal) or (
            isinstance(route, Modal) and not isinstance(route.id, Shortcut)
        ):
            actions[str(route.id)].append(route)
        elif isinstance(route, Modal):
            runners["shortcut"][route.id.value] = _named(shortcut_listener(route), route)
        elif isinstance(route, Form):
            runners["view"][route.view.value] = _named(form_listener(route), route)
        elif isinstance(route, Listen) and route.kind == "command":
            runners["command"][route.id.value] = _named(route.listener, route)
        elif isinstance(route, Listen):
            runners[route.kind][route.id.value] = _named(plain_listener(route), route)
    for action_id, served in actions.items():
        runners["action"][action_id] = _named(action_listener(served), *served)
    for kind in SLACK_ID:  # the most frequent first: Bolt tries its listeners in turn
        if by_id := runners.get(kind):
            _listen(app, kind, by_id)


Runner = Callable[[Args], None]


def _listen(app: App, kind: str, by_id: dict[str, Runner]) -> None:
    """One Bolt listener for every id of this kind, running the runner of the request's id."""
    ids = re.compile("^(?:" + "|".join(re.escape(i) for i in sorted(by_id)) + ")$")
    slack_id = SLACK_ID[kind]

    def run(args: Args) -> None:
        by_id[slack_id(args.body)](args)

    only = next(iter(by_id.values())) if len(by_id) == 1 else None
    run.__name__ = only.__name__ if only else f"{kind}s"  # Bolt's log: `Running listener: …`
    run.runners = by_id  # type: ignore[attr-defined]  # what it serves, for tests/test_contract.py
    listen = {
        "command": app.command,
        "action": app.action,
        "view": app.view,
        "shortcut": app.shortcut,
        "options": app.options,
        "event": app.event,
    }[kind]
    listen(ids)(run)


SLACK_ID: dict[str, Callable[[dict[str, Any]], str]] = {
    "command": lambda body: body["command"],
    "action": lambda body: body["actions"][0]["action_id"],
    "view": lambda body: body["view"]["callback_id"],
    "shortcut": lambda body: body["callback_id"],
    "options": lambda body: body["action_id"],
    "event": lambda body: body["event"]["type"],
}
"""Where Bolt read the id a listener matched, in each kind of payload."""


def _named(run: Any, route: Route, *also: Route) -> Any:
    """The runner named after what it serves, as Bolt's debug log says `Running listener: …`."""
    served = getattr(route, "listener", None) or getattr(route, "loader", None)
    run.__name__ = getattr(served, "__name__", route_id(route))
    run.__routes__ = (route, *also)  # what `tests/test_contract.py` checks Bolt's listeners by
    return run
