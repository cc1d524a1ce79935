"""`/account Acme revenue` and `/account revenue`: NRR and GRR from the revenue ledger, how early
churn was seen, and the monthly chart posted as a file in the user's DM (a file cannot be
ephemeral, and a DM is never shared with the customer)."""

from __future__ import annotations

import logging
import traceback
from datetime import date
from statistics import median

from slack_sdk import WebClient

from commands.needs import LEAD, Check
from commands.replies import AskedCommand
from commands.request import Request
from commands.ui.chart import revenue_chart
from commands.ui.errors import UserError
from commands.ui.slack_failures import Outcome, classify
from commands.ui.text import escape, money
from commands.ui.views.blocks import Block, context, section
from commands.ui.views.revenue import revenue_blocks
from store.models import Account, saved_id
from store.revenue import (
    SEEN_AHEAD,
    MissingRate,
    Rates,
    RevenueReport,
    Seen,
    churn_seen,
    revenue_report,
)
from store.settings import revenue_settings
from store.wording import day, plural

logger = logging.getLogger("accountbot.revenue")
CHART_NAME = "revenue.png"


def account_revenue_answer(
    *, request: Request, asked: AskedCommand, account: Account | None
) -> list[Block]:
    """`/account Acme revenue`: the account's NRR and GRR (whoever may see the account)."""
    assert account is not None
    return _answer(request, title=account.name, account_ids=[saved_id(account.id)])


def team_revenue_answer(
    *, request: Request, asked: AskedCommand, account: Account | None
) -> list[Block]:
    """`/account revenue`: the whole team's for its leads and admins, else the user's own
    accounts."""
    whole_team = LEAD.refusal(Check(access=request.access, db=request.db, account=None)) is None
    if whole_team:
        return _answer(request, title="the team's portfolio", seen_early=True)
    return _answer(request, title="your accounts", owner_user_id=request.user_id, seen_early=True)


def _answer(
    request: Request,
    *,
    title: str,
    account_ids: list[int] | None = None,
    owner_user_id: str | None = None,
    seen_early: bool = False,
) -> list[Block]:
    with request.db.reading() as session:
        settings = revenue_settings(session, team_id=request.team_id)
        try:
            report = revenue_report(
                session,
                team_id=request.team_id,
                today=request.today,
                rates=Rates(currency=settings.currency, rates=settings.rates),
                account_ids=account_ids,
                owner_user_id=owner_user_id,
            )
        except MissingRate as missing:
            raise UserError(missing.message) from None
        seen = (
            churn_seen(session, team_id=request.team_id, losses=report.losses) if seen_early else []
        )
    extra = seen_lines(seen, report=report, today=request.today) if seen_early else []
    if any(month.nrr is not None for month in report.months):
        extra.append(context(_post_chart(request, report, title=title)))
    else:  # an empty chart would only add a file to the DM at every ask
        extra.append(context("No chart: no month had ARR at its start to measure."))
    return revenue_blocks(report, title=title, today=request.today, extra=extra)


def seen_lines(seen: list[Seen], *, report: RevenueReport, today: date) -> list[Block]:
    """How early churn and contraction were seen: the median, how many at least 90 days
    ahead, and the ones seen late (or never)."""
    if not seen:
        return [section("*How early was churn seen?* No churn or contraction in 12 months.")]
    known = [s.days for s in seen if s.days is not None]
    ahead = sum(s.in_time for s in seen)
    unknown = len(seen) - len(known)
    lines = [
        f"*How early was churn seen?* {plural(len(seen), 'account')} churned or contracted in 12 "
        "months: median "
        + (f"{median(known):.0f} days" if known else "unknown")
        + f" before it, {ahead} of {len(seen)} seen at least {SEEN_AHEAD} days ahead (the target)"
        + (f", {unknown} unknown (history does not reach back)" if unknown else "")
        + "."
    ]
    late = [s for s in seen if s.days is not None and s.days < SEEN_AHEAD]
    for one in late[:10]:
        loss = one.loss
        when = f"red {one.days} days before" if one.red_since is not None else "never red before it"
        lines.append(
            f"• *{escape(loss.name)}*: {loss.kind.value} of {money(loss.amount, report.currency)}"
            f" on {day(loss.on, today)}, {when}"
        )
    if len(late) > 10:
        lines.append(f"…and {len(late) - 10} more seen late")
    return [section("\n".join(lines))]


def _post_chart(request: Request, report: RevenueReport, *, title: str) -> str:
    """The chart, posted in the user's DM (files upload v2); what to tell them about it."""
    client: WebClient | None = request.client
    if client is None:
        return "The chart is posted in Slack (not at the terminal)."
    png = revenue_chart(report, title=title)
    try:
        opened = client.conversations_open(users=request.user_id)
        channel = opened["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file=png,
            filename=CHART_NAME,
            title=f"NRR and GRR: {title}",
            initial_comment=(  # a message: mrkdwn
                f"NRR and GRR of the 12 months so far, at each month's end: {escape(title)}"
            ),
        )
    except Exception as error:
        if (failure := classify(error)) is None:
            raise
        logger.warning("revenue chart not posted for %s: %s", request.user_id, failure.cause)
        if failure.outcome is Outcome.REFUSED:
            return f"The chart was not posted: Slack refused it (`{failure.code}`)."
        if failure.outcome is Outcome.UNCERTAIN and _while_sharing(error):
            return (
                f"The chart may have been posted ({failure.cause}): look in your direct messages "
                "with the bot before asking again."
            )
        return f"The chart was not posted ({failure.cause}): ask again in a minute."
    return "The month-by-month chart is in your direct messages with the bot."


def _while_sharing(error: BaseException) -> bool:
    """Files upload v2 posts the file in its last call, files.completeUploadExternal: an error
    raised inside it may have come after Slack posted the chart (a lost answer, a 5xx), so asking
    again could post it twice. Earlier steps post nothing."""
    return any(
        frame.f_code.co_name == "files_completeUploadExternal"
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )
