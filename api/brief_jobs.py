"""Brief generation in the background of the web process.

A brief takes seconds to tens of seconds with the local model, too long for
a request. ``POST /api/accounts/{id}/briefs`` starts a job here and returns
its id; the page polls the job until the brief is stored. One worker thread
keeps the model from running twice at once on a 2-core machine. Jobs live
in memory: after a restart a running job is gone (the client sees 404 and
can start it again); finished briefs are in the database.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.auth import Principal
from agent.crm.db import Store
from agent.errors import WinbackError
from agent.settings import Settings

log = logging.getLogger(__name__)
MAX_JOBS = 500


@dataclass
class BriefJob:
    """State of one brief generation."""

    id: str
    tenant_id: int
    account_id: int
    user_id: int
    status: str = "queued"  # queued | running | done | failed
    brief_id: int | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "status": self.status,
            "brief_id": self.brief_id,
            "error": self.error,
        }


class BriefJobs:
    """A single-thread executor plus the table of jobs it ran."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brief")
        self._jobs: dict[str, BriefJob] = {}
        self._lock = threading.Lock()

    def start(
        self, store: Store, settings: Settings, user: Principal, account_id: int, as_of: date
    ) -> BriefJob:
        """Queue a brief for ``account_id`` (already authorised) and return the job."""
        job = BriefJob(uuid.uuid4().hex, user.tenant_id, account_id, user.user_id)
        with self._lock:
            if len(self._jobs) >= MAX_JOBS:
                oldest = sorted(self._jobs.values(), key=lambda j: j.started)[: MAX_JOBS // 2]
                for old in oldest:
                    self._jobs.pop(old.id, None)
            self._jobs[job.id] = job
        self._executor.submit(self._run, job, store, settings, user, as_of)
        return job

    def get(self, job_id: str) -> BriefJob | None:
        """The job ``job_id`` or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def _run(
        self, job: BriefJob, store: Store, settings: Settings, user: Principal, as_of: date
    ) -> None:
        from agent.brief import generate_brief, save_brief

        job.status = "running"
        try:
            index = _index(store, settings, user.tenant_id)
            with store.session() as session:
                run = generate_brief(
                    session, user.tenant_slug, job.account_id, as_of=as_of, index=index,
                    settings=settings,
                )  # fmt: skip
                row = save_brief(session, run.brief, created_by_id=user.user_id)
                job.brief_id = row.id
            job.status = "done"
        except WinbackError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a job must end with a state, not vanish
            log.exception("brief job %s failed", job.id)
            job.status, job.error = "failed", f"Internal error: {type(exc).__name__}"

    def shutdown(self) -> None:
        """Stop accepting jobs; running ones finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _index(store: Store, settings: Settings, tenant_id: int) -> Any:
    """The history index for semantic hits, built on first use; None when unavailable.

    A brief without semantic hits still has every CRM fact, so a missing
    embeddings model degrades the brief instead of failing it.
    """
    try:
        from agent.history.index import open_index
        from agent.history.sync import rebuild

        index = open_index(settings)
        if index.count(tenant_id) == 0:
            with store.session() as session:
                rebuild(session, index, tenant_id)
        return index
    except WinbackError as exc:
        log.warning("history index unavailable, brief without semantic hits: %s", exc)
        return None
