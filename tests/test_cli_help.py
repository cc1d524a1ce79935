"""`--help` shows flags as flags: a switch takes no value, so no `<bool>` beside it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FLAGS = {
    ("digest",): ["--dry-run", "--now", "--force", "--help"],
    ("remind",): ["--help"],
    ("run",): ["--help"],
    ("db", "upgrade"): ["--help"],
}


def help_of(command: tuple[str, ...], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--help"],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        | {"COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", list(FLAGS))
def test_flags_are_shown_without_a_value(command: tuple[str, ...], tmp_path: Path) -> None:
    shown = help_of(command, tmp_path)
    for flag in FLAGS[command]:
        [line] = [line for line in shown.splitlines() if re.search(rf"\s{flag}\s", line)]
        assert "<" not in line, line  # `--dry-run <bool>` reads as `--dry-run true`


def test_options_that_take_a_value_still_say_what_it_is(tmp_path: Path) -> None:
    shown = help_of(("digest",), tmp_path)
    [at] = [line for line in shown.splitlines() if re.search(r"\s--at\s", line)]
    assert "<str>" in at, at
