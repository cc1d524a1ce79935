"""Short replies of `/account`: help, no match, several matches, refusals."""

from __future__ import annotations

from collections.abc import Sequence

from commands.ui.ids import Action
from commands.ui.text import escape
from commands.ui.values import MAX_VALUE, AccountValue, NewAccountValue
from commands.ui.views.blocks import Block, actions, button, context, header, section
from commands.ui.views.card import BAND_ICON, SENTIMENT_ICON, SEVERITY_ICON
from store.enums import Band, Sentiment
from store.models import Account
from store.signals import Severity

SEVERITY_WORDS = {
    Severity.CRITICAL: "critical: turns the band red",
    Severity.RISK: "risk: three, or two with the renewal inside its window, turn it red",
    Severity.WATCH: "watch: never moves the band",
    Severity.OPPORTUNITY: "expansion",
}
BAND_WORDS = {
    Band.RED: "red: save the account",
    Band.YELLOW: "yellow: stabilise it",
    Band.GREEN: "green: grow it",
}


def emoji_legend() -> str:
    """What each emoji of the card, the lists and the digests means, one line per family."""
    bands = " · ".join(f"{BAND_ICON[b]} {BAND_WORDS[b]}" for b in BAND_WORDS)
    flags = " · ".join(f"{SEVERITY_ICON[s]} {SEVERITY_WORDS[s]}" for s in SEVERITY_WORDS)
    moods = " · ".join(f"{SENTIMENT_ICON[s]} {s.value}" for s in Sentiment)
    return (
        f"*Bands* {bands} ({BAND_ICON[Band.YELLOW]}→{BAND_ICON[Band.RED]}: the move since last "
        f"week's digest)\n*Flags* {flags}\n*Sentiment* {moods}\n"
        "*History* :speech_balloon: a contact · :pushpin: a band override\n"
        "*Channels* :globe_with_meridians: shared with another organisation (nothing internal is "
        "posted there) · :lock: a digest sent to you by DM instead of such a channel"
    )


HELP_COMMANDS = (
    "`/account Acme` shows the account card of Acme, privately: ARR, renewal, band and why, "
    "stakeholder map, relationship threads, flags and the open mutual-action plan, with buttons "
    "to share it in the channel, edit it, add a stakeholder, log a contact, add an action item "
    "and page through its history. Case, accents and small typos do not matter; when several "
    "accounts match you pick one; when none does you are offered to create it.\n"
    "`/account` in an account's linked channel shows that account; anywhere else it lists the "
    "accounts you own, riskiest first.\n"
    "`/account Acme plan` shows its mutual action plan (open items, and those closed in the "
    "last 30 days); `/account Acme history` pages through every change to its map and every "
    "contact, newest first.\n"
    "`/account Acme stakeholder`, `/account Acme contact` and `/account Acme action` open the "
    "forms below for Acme; `/account Acme event` logs a business event, `/account Acme "
    "departments` opens its departments.\n"
    "`/account new` opens the account form empty; `/account edit Acme` opens it filled in.\n"
    "`/account settings` opens the team's settings (workspace admins).\n"
    "`/account portfolio` lists the team's accounts at risk, riskiest first (the team's leads "
    "and workspace admins).\n"
    "`/account revenue` shows NRR and GRR over the last 12 months and month by month (your "
    "accounts; the whole team's for its leads and admins), against the 120% target, and how "
    "early churn was seen; `/account Acme revenue` shows one account's. The chart comes as a "
    "file in your direct messages with the bot.\n"
    "`/account Acme grow` (or the card's *Growth*) shows its growth view: expansion hypotheses "
    "and observations ranked, each with its evidence, context, timing, who cares, estimate, "
    "score and angle, with *Turn into opportunity* (the *Opportunity* form prefilled) and "
    "*Dismiss* (a reason required; its button says when it comes back); the whitespace with "
    "estimates; coverage by department and "
    "level. A red account shows save it first, a yellow one observations only.\n"
    "`/account leads` lists former champions and sponsors by the company they left for (the "
    "whole team's): whether it is already our account, where and how long they championed us, "
    "with *Create account* (the form named after the company; saved, the person is offered as "
    "its first stakeholder), *Log outreach* and *Create opportunity* (a new logo).\n"
    "`/account expansion` shows the expansion pipeline (your accounts; the whole team's for its "
    "leads and admins, `/account expansion mine` their own): accounts by readiness with their "
    "top hypothesis and estimated ARR, the total identified, red accounts to stabilise first; "
    "as of the last refresh (the weekly digest run).\n"
    "`/account Acme deals` (or the card's *Deals*) lists its deals: stage, amount, close date, "
    "next step, score and flags, and MEDDIC filled or as gaps, with *Edit*, a menu to move the "
    "stage and *MEDDIC / score* on each, and *Add deal*. The card lists the open ones.\n"
    "`/account help` shows this message."
)
HELP_GRAMMAR = (
    "The text after `/account` is read by the first of these that fits: (1) it is exactly an "
    "account's name, and not a command word alone: that account (an account called New "
    "Horizons opens with `/account New Horizons`, and `/account New Horizons plan` shows its "
    "plan; an older account named like a command opens with `/account show`); (2) its first "
    "word is `new`, `edit`, `show`, `settings`, `portfolio`, `revenue`, `leads`, `expansion` or "
    "`help`: "
    "that command "
    "(`show` takes all the rest as the name: `/account show Acme plan` opens the account called "
    "Acme plan); (3) a name, then `plan`, `history`, `stakeholder`, `contact`, `action`, "
    "`revenue`, `event`, `departments`, `grow` or `deals`; (4) a name, matched loosely. A text "
    "over 150 characters is too long to be a name."
)
HELP_FORMS = (
    "*Account* (New account, Edit account): name (unique in the workspace, ignoring case and "
    "accents), linked channel, owner, ARR and currency, contract start, contract term (1-60 "
    "months), renewal date, seats licensed and active, segment; editing ARR asks what kind of "
    "change it is (expansion, contraction, correction). Refused: an empty or taken name, a name "
    "that is a command word (`new`, `edit`, `show`, `settings`, `portfolio`, `revenue`, "
    "`leads`, `expansion`, `help`), a private channel you are not in (admins may link any), "
    "negative ARR, a change of "
    "ARR without its kind or against it, a renewal before the contract start, more active than "
    "licensed seats.\n"
    "*Add stakeholder* / *Edit stakeholder*: name, title, role (champion, economic buyer, "
    "decision maker, influencer, end user, detractor, executive sponsor), influence, sentiment, "
    "department, level, reports to, our relationship owner, last contact, email and notes. "
    "Someone already on the map (same name or email) is refused, naming them; so is a "
    "reporting loop, and a department not the account's.\n"
    "Each person's menu on the card: *Edit*, *Change sentiment*, *Mark departed* (when, and "
    "where they went: a champion who leaves is a lead elsewhere; the channel is told when a "
    "champion or sponsor goes) and *Mark promoted* (the new title).\n"
    "*Log contact*: the account (picked first from a message), who was there, the date (not in "
    "the future), how (meeting, call, email, event, Slack) and a summary; their last contact "
    "moves. The message shortcut *Log as account contact* fills it in from any message.\n"
    "*Override band* (a card button): the band to show, why (required) and until when (today "
    "to 90 days ahead); shown as an override everywhere with the rules' band beside it, and "
    "kept in the history.\n"
    "*Renewal stage* (a card button): not started, proposal sent, verbal yes or signed (with "
    "the day it was signed), and the notice date (on or before the renewal date).\n"
    "*Record usage* (a card button): the day (not in the future), active seats, and optionally "
    "monthly active users, core-feature adoption (0-100 %), support satisfaction (0-5, one "
    "decimal) and escalations; a reading for a day already recorded replaces it, and the latest "
    "sets the account's active seats. Refused: a day in the future, adoption over 100 %, a "
    "negative count.\n"
)
HELP_FORMS_MORE = (
    "*Did it renew?* (a DM to the owner from 14 days before the renewal date, asked again each "
    "week until answered; to the team's leads when the owner left): *Renewed* (the renewal "
    "date moves on by the contract term), *Renewed, expanded* (the new ARR, more than now), "
    "*Renewed, contracted* (the new ARR, less than now) or *Churned* (why, required: the "
    "account becomes inactive, its history kept). Refused: a new ARR its answer contradicts, "
    "a renewal already recorded.\n"
    "*Add action item* / *Edit action item*: what, our owner, their owner (someone on the map "
    "or a typed name), due date (today or later) and a link. Each item has *Done* and a menu: "
    "edit, *Reschedule* (a new date), *Mark blocked* (with a reason), unblock, cancel.\n"
    "*Team settings* (admins): *Weekly digests* (day, time, time zone, portfolio channel, "
    "all-clear lines, owners' DMs), *Signal thresholds* (when each warning fires) and *Team "
    "leads* (people who see the team's portfolio and get its weekly digest by DM), *Revenue "
    "reporting* (the reporting currency and a rate for each other currency in use) and the "
    "*Product catalogue* (products and modules, each with a list price per seat, per unit or "
    "flat in a currency, a module with the one product it needs; an entry a module needs or "
    "an account uses cannot be removed), every change recorded. The account form's *Products "
    "in use* are picked from the catalogue (a module only with its product); the card shows "
    "them and the *Whitespace*: what the catalogue sells that the account does not use yet.\n"
    "*Log outreach* (`/account leads`): the date (not in the future) and what happened; the "
    "lead moves to contacted.\n"
    "*Opportunity* (a lead's *Create opportunity*, or its deal's *Edit*; an account's *Turn "
    "into opportunity* on its growth view, prefilled from the hypothesis, with the people "
    "involved): name, amount (not "
    "negative) and currency, close date (not past for an open deal), stage (prospect 10%, "
    "discovery 20%, demo / evaluation 40%, proposal 60%, negotiation 80%, closed won 100%, "
    "closed lost with why, required), owner, next step and its date, trigger signal, business "
    "case; every change kept in its history. Refused from a hypothesis already converted or "
    "dismissed, or once the account turned red (save it first).\n"
    "*Dismiss* (the growth view; its button says when it comes back): why, required; it leaves "
    "the view, the pipeline and the digests, and comes back only when its evidence crosses its "
    "threshold again (*Dismiss until seat use rises*: 5 points up; *until a newer event*: a "
    "newer one; *until departments change*; *for good*: a module or concentrated usage).\n"
    "A refused field is marked beside it and nothing is saved; you may change an account if "
    "you own it, are in its linked channel, or are an admin; you may see it unless it is linked "
    "to a private channel you are not in."
)


HELP_DEALS = (
    "*Add deal* (the card, or `/account Acme deals`) / *Edit*: the *Opportunity* form of an "
    "account's deal, with its type (upsell, cross-sell, renewal) and the people involved; a new "
    "deal starts at an open stage, and an edit may move it back or mark it lost, never forward "
    "(a closed deal's stage stays). "
    "Refused: a negative amount, an open deal's close date in the past, someone of another "
    "account.\n"
    "*Move stage* (a deal's menu): moving forward shows the exit criteria of every stage it "
    "passes as a checklist (prospect: meeting scheduled; discovery: qualified; demo / "
    "evaluation: demo delivered, budget approved; proposal: proposal accepted; negotiation: "
    "contract agreed); a criterion left unticked needs a reason, and the move, the criteria and "
    "the reason are kept in the deal's history. Without either, nothing is written.\n"
    "*MEDDIC / score* (a deal's button): metrics, economic buyer (someone on the account's "
    "map; its economic buyer offered), decision criteria, decision process, identified pain, "
    "champion (from the map); each empty part is a gap. The qualification scorecard: budget, "
    "authority, need, timeline, champion, competition, 1-5 each, total /30: 25+ strong, 18-24 "
    "work on the weak areas, under 18 needs qualification. A deal at proposal or later is "
    "flagged with a score under 18 (or not scored), no economic buyer or no champion."
)
HELP_TASKS = (
    "*Add task* (a card button) / *Edit task* (the task's menu): an internal task, what, its "
    "owner on our side and a due date (today or later; an edited task may keep a date passed); "
    "listed under *Our tasks*, never in the mutual action plan, with a due-day reminder, *Done* "
    "(then *Reopen*) and a menu: edit, reschedule, mark blocked, cancel.\n"
    "*Save plan* (a red card's button): drafted from the signals that fire, to edit: the churn "
    "probability and why (required), ARR at risk, save difficulty, the investment asked for "
    "(hours, people, executive involvement), then the steps: this week, 30 days, 90 days, each "
    "naming a person, a meeting or a deliverable, with an owner on our side and a date (today "
    "or later). Saved, the steps become internal tasks; *View save plan* lists them by phase "
    "with *Done*. Saving again replaces the plan and cancels its open steps."
)
HELP_ORG = (
    "*Departments* (a card button; the account's owner and workspace admins): the account's "
    "departments or business units, each marked if it uses the product; clear a name to remove "
    "it. Refused: a name twice (ignoring case), over 80 characters. A stakeholder's form then "
    "has their *Department* (one of the account's) and *Level* (executive, director, manager, "
    "individual contributor); the card shows coverage by department and level, and threads "
    "across fewer than three levels are watched once levels are known for two people or more.\n"
    "*Log event* (a card button, or `/account Acme event`): a business event at the customer "
    "(funding round, acquisition or merger, new office or region, headcount growth, new leader, "
    "regulatory change, reorganisation), its day (not in the future), a note and a link "
    "(http or https). The message shortcut *Log as business event* fills it in from a message "
    "with a news link (the account asked for outside its channel). A new high-influence "
    "executive added to the map is offered as a new leader event: *Log as new leader event*. "
    "The card lists the last 90 days' events; `accountbot events import` loads a CSV file."
)


def help_blocks() -> list[Block]:
    return [
        header("How to use /account"),
        section(HELP_COMMANDS),
        context(HELP_GRAMMAR),
        header("The forms"),
        section(HELP_FORMS),
        section(HELP_FORMS_MORE),
        section(HELP_DEALS),
        section(HELP_TASKS),
        section(HELP_ORG),
        header("What the emoji mean"),
        section(emoji_legend()),
    ]


def not_found_blocks(name: str) -> list[Block]:
    """No match: say so, and offer to create the account under that name."""
    return [
        section(f"No account matches *{escape(name)}*."),
        actions(
            button(
                f"Create {name}",
                action_id=Action.CREATE_ACCOUNT,
                value=NewAccountValue.write(name=name[:MAX_VALUE]),
                style="primary",
            )
        ),
        context("Type `/account` to list your accounts."),
    ]


def choice_blocks(typed: str, candidates: Sequence[Account], *, edit: bool = False) -> list[Block]:
    """Several matches: one button per account."""
    action_id = Action.EDIT_ACCOUNT if edit else Action.SHOW_ACCOUNT
    return [
        section(f"Several accounts match *{escape(typed)}*. Which one?"),
        actions(
            *(
                button(a.name, action_id=action_id, value=AccountValue.write(account_id=a.id))
                for a in candidates
            )
        ),
    ]


def refusal_blocks(refusal: str) -> list[Block]:
    """Not for this user (`refusal` is mrkdwn, its user text already escaped)."""
    return [section(f":lock: {refusal}")]


def usage_blocks(problem: str) -> list[Block]:
    """A command we could not read: what was wrong and the forms that work."""
    return [
        section(f":warning: {escape(problem)}"),
        context(
            "`/account Acme`, `/account Acme plan`, `/account new`, `/account edit Acme`; "
            "`/account help` explains every command and form."
        ),
    ]
