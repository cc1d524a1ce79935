"""The test run's clock in every Python process the tests start (see `tests/clock/__init__.py`).

Python imports `sitecustomize` at start-up from the first directory of `PYTHONPATH` that has one;
the tests put this directory first when their clock runs behind the real one, so a bot, a CLI or
a benchmark started as a subprocess keeps the same date and checks the same signature times.
"""

import os

_BEHIND = os.environ.get("ACCOUNTBOT_TESTS_CLOCK_BEHIND")
if _BEHIND:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) - timedelta(seconds=float(_BEHIND)), tick=True).start()
