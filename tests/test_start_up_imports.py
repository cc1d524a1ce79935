"""What a process of the bot imports before it does anything: a digest or reminder run, or a bot
nobody asks for the revenue report, never draws a chart, so matplotlib (about 40 MiB of a
process's memory, most of the digest build's margin under its 200 MiB budget) is imported only
where the chart is drawn (the chart itself: `tests/test_revenue_report.py`,
`tests/test_chart_attacks.py`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHART_LIBRARIES = {"matplotlib", "numpy", "PIL"}


@pytest.mark.parametrize("module", ["bot.cli", "bot.app", "digests.deliver", "commands.revenue"])
def test_starting_the_bot_imports_no_chart_library(module: str) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    imported = {name.split(".")[0] for name in json.loads(child.stdout)}
    assert not imported & CHART_LIBRARIES, f"{module} imports {sorted(imported & CHART_LIBRARIES)}"
