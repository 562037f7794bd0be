"""A heartbeat thread for long-running jobs (pipeline steps, brief jobs).

While a job runs, a daemon thread calls ``beat`` every ``interval_s``
seconds; ``beat`` stamps the job's row and returns ``False`` once the row
is no longer this attempt's (reclaimed by a recovery sweep), which ends the
heartbeat. A failed beat is logged, never raised: a missed beat must not
kill the job it is watching.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Heartbeat:
    """Calls ``beat`` every ``interval_s`` seconds for the duration of a ``with`` block."""

    def __init__(self, beat: Callable[[], bool], interval_s: float, name: str):
        self._beat = beat
        self.interval_s = interval_s
        self.name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not self._beat():
                    return  # reclaimed elsewhere; the job's result will be dropped
            except Exception:  # noqa: BLE001 - a missed beat must not kill the job
                log.warning("%s: beat failed", self.name, exc_info=True)
