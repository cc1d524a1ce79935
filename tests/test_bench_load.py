"""The load bench drives a real `accountbot run` process and counts what it measured honestly."""

from __future__ import annotations

import io
import json

from bench.load import BotLog, Options, _answer_kind, run_load
from bench.stats import percentiles
from tests.slack_fake import Call


def test_a_short_load_run_gets_every_card_and_stops_the_bot_cleanly() -> None:
    """Five clients on one HTTP thread, so requests queue behind it: the bot's log says so in
    a summary line or two (at the first one, every 10 s, at the stop), not a line each."""
    [result] = run_load(Options(accounts=300, concurrency=5, duration=3, warmup=1, http_threads=1))

    assert result.requests > 0
    assert result.live_accounts > 0
    assert not result.errors and not result.warmup_errors
    assert result.bot_error_records == 0, result.bot_errors
    assert result.stop_problem is None
    assert len(result.acks) == len(result.cards) == result.requests
    for samples in (result.acks, result.cards):
        p = percentiles(samples, (50, 95, 99))
        assert 0 < p[50] <= p[95] <= p[99] <= max(samples)
    assert result.throughput > 0
    assert result.window_seconds >= 3
    # every request, warm-up ones too, got its own answer on its own response URL
    assert result.web_api["response_url"] == result.requests + result.warmup_requests
    assert result.late_cards == 0
    assert result.bot_cpu_seconds is not None and result.bot_cpu_seconds > 0
    lines, queued, deepest = result.bot_queue
    assert 0 < lines < queued, result.bot_queue
    assert 0 < deepest <= 5  # never more than the clients
    assert result.bot_levels["WARNING"] == lines  # nothing else warned


def test_only_the_card_of_the_account_asked_for_counts_as_an_answer() -> None:
    card = Call(
        "response_url",
        {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Acme"}}]},
        {},
    )
    assert _answer_kind(card, "Acme") == "card"
    assert _answer_kind(card, "Acme Logistics") == "other"
    warning = Call("response_url", {"text": ":warning: Something went wrong on our side."}, {})
    assert _answer_kind(warning, "Acme") == "warning"
    assert _answer_kind(Call("response_url", {"text": "Did you mean…"}, {}), "Acme") == "other"


def test_the_bot_log_counts_errors_and_tracebacks() -> None:
    records = [
        {"level": "INFO", "logger": "accountbot.server", "message": "serving HTTP"},
        {"level": "WARNING", "logger": "waitress.queue", "message": "Task queue depth is 2"},
        {
            "level": "WARNING",
            "logger": "waitress.queue",
            "message": "Task queue: 7 request(s) waited for a free thread over 9 s, depth up to 3",
            "queued": 7,
            "deepest": 3,
        },
        {
            "level": "ERROR",
            "logger": "accountbot.errors",
            "message": "unhandled error 1234abcd",
            "exc_info": "Traceback (most recent call last):\n...\nValueError: boom",
        },
    ]
    lines = [json.dumps(r) for r in records] + ["Traceback (most recent call last):", "  oops"]
    log = BotLog()
    log.read(io.StringIO("\n".join(lines) + "\n"))

    assert log.levels == {"INFO": 1, "WARNING": 2, "ERROR": 2, "unstructured": 1}
    assert (log.queue_lines, log.queued, log.deepest) == (2, 8, 3)
    assert log.error_records == 2
    assert log.errors[0] == "accountbot.errors unhandled error 1234abcd | ValueError: boom"
