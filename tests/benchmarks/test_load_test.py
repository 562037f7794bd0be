"""benchmarks/load_test.py runs end to end: a short load with 5 users gets no 5xx.

The load test itself is a benchmark, not part of the suite; this runs it for
about 10 seconds (4 reps, 1 manager) in a subprocess (locust patches the
standard library for gevent, which must not happen inside pytest) and checks
its JSON summary.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


# Found, not imported: importing locust would patch this process for gevent.
NO_LOCUST = importlib.util.find_spec("locust") is None


@pytest.mark.slow
@pytest.mark.skipif(NO_LOCUST, reason="locust is in the dev extra: pip install -e '.[dev]'")
def test_short_load_has_no_server_errors() -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "load_test.py"), "--seconds", "10",
         "--reps", "4", "--managers", "1", "--clip-seconds", "2", "--drain-timeout", "60",
         "--json"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout[run.stdout.index("{") :])
    assert summary["server_errors_5xx"] == 0, summary
    assert summary["connection_errors"] == 0, summary
    assert summary["requests"] > 20, summary
    assert summary["failures"] == 0, summary["errors"]
    accepted = summary["uploads"].get("accepted", 0)
    if accepted:  # every accepted recording was processed after the load
        assert summary["queue_drain_s"] is not None, summary
        assert sum(summary["recording_states"].values()) == accepted
