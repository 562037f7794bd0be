"""Prometheus metrics of Winback: the metric objects and the helpers that observe them.

Metrics live in prometheus_client's default registry, one set per process:

* ``winback_http_requests_total`` / ``winback_http_request_duration_seconds``
  by method, route *template* (``/api/notes/{note_id}``, never the raw path,
  so ids do not explode the series count) and status; observed by the app's
  middleware (api/app.py).
* ``winback_queue_jobs`` by step and status (pending, running): read from
  ``pipeline_jobs`` at scrape time by :class:`QueueDepthCollector`, so every
  process that serves metrics reports the same, true queue.
* ``winback_job_duration_seconds`` by step and result (done, failed, retry):
  observed where a pipeline step ends (agent/calls/pipeline.py).
* ``winback_model_latency_seconds`` by model and kind (chat, transcription)
  and ``winback_model_tokens_total`` by model and kind (prompt, completion):
  observed where model usage is recorded (agent/llm/usage.py, the transcribe
  step).

``GET /metrics`` of the app serves them; ``winback worker --metrics-port N``
serves a worker's with :func:`bind_metrics_server` and
:func:`start_metrics_server`. Both refuse requests without
``Authorization: Bearer <metrics_token>`` when that setting is set.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import MetricsHandler
from prometheus_client.registry import Collector

from agent.settings import Settings

log = logging.getLogger(__name__)

#: Job and transcription durations span milliseconds (index) to an hour (a long call).
LONG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
#: Chat model calls: a fraction of a second (remote) to minutes (local CPU model).
MODEL_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)

HTTP_REQUESTS = Counter(
    "winback_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "winback_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response headers), by route template.",
    ["method", "route", "status"],
)
JOB_DURATION = Histogram(
    "winback_job_duration_seconds",
    "Wall time of a pipeline step run, claim to commit, by step and result.",
    ["step", "result"],
    buckets=LONG_BUCKETS,
)
MODEL_LATENCY = Histogram(
    "winback_model_latency_seconds",
    "Latency of model calls (a chat call includes its re-asks), by model and kind.",
    ["model", "kind"],
    buckets=MODEL_BUCKETS,
)
MODEL_TOKENS = Counter(
    "winback_model_tokens_total",
    "Tokens used by chat models, by model and kind (prompt, completion).",
    ["model", "kind"],
)
AUDIO_SECONDS = Counter(
    "winback_transcribed_audio_seconds_total",
    "Seconds of audio transcribed, by model.",
    ["model"],
)

#: Label of requests that matched no route (one series for every unknown path).
UNMATCHED_ROUTE = "<unmatched>"


def observe_request(method: str, route: str, status: int, duration_s: float) -> None:
    """Count one answered HTTP request and its duration."""
    labels = (method, route, str(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_DURATION.labels(*labels).observe(duration_s)


def observe_job(step: str, result: str, duration_s: float) -> None:
    """Record the duration of a pipeline step run that ended with ``result``."""
    JOB_DURATION.labels(step, result).observe(duration_s)


def observe_chat(model: str, latency_s: float, prompt_tokens: int, completion_tokens: int) -> None:
    """Record one chat model call (latency and tokens)."""
    MODEL_LATENCY.labels(model, "chat").observe(latency_s)
    if prompt_tokens:
        MODEL_TOKENS.labels(model, "prompt").inc(prompt_tokens)
    if completion_tokens:
        MODEL_TOKENS.labels(model, "completion").inc(completion_tokens)


def observe_transcription(model: str, latency_s: float, audio_s: float | None) -> None:
    """Record one transcription (latency and audio length)."""
    MODEL_LATENCY.labels(model, "transcription").observe(latency_s)
    if audio_s:
        AUDIO_SECONDS.labels(model).inc(audio_s)


# --- queue depth, read at scrape time --------------------------------------------


def queue_depth(settings: Settings) -> dict[tuple[str, str], int]:
    """Pending and running steps of recordings still in progress, by ``(step, status)``.

    Steps of failed or finished recordings are left out: a failed step
    leaves the later ones ``pending`` for ever, and they are not work.
    """
    from sqlalchemy import func, select

    from agent.calls.jobs import STEPS
    from agent.crm.db import open_store
    from agent.crm.models import CallRecording, JobStatus, PipelineJob, RecordingStatus

    active = (RecordingStatus.queued, RecordingStatus.processing, RecordingStatus.transcribed)
    waiting = (JobStatus.pending, JobStatus.running)
    counts = {(step, status.value): 0 for step in STEPS for status in waiting}
    store = open_store(settings.db_url)
    with store.session() as session:
        rows = session.execute(
            select(PipelineJob.step, PipelineJob.status, func.count())
            .join(CallRecording, CallRecording.id == PipelineJob.recording_id)
            .where(CallRecording.status.in_(active), PipelineJob.status.in_(waiting))
            .group_by(PipelineJob.step, PipelineJob.status)
        ).all()
    for step, status, count in rows:
        key = (str(step), status.value if isinstance(status, JobStatus) else str(status))
        counts[key] = int(count)
    return counts


class QueueDepthCollector(Collector):
    """Reports ``winback_queue_jobs`` from the database at each scrape."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> Iterable[Metric]:
        # Declared without samples, so registering does not query the database.
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        ok = GaugeMetricFamily(
            "winback_queue_depth_up", "1 when the queue depth could be read from the database."
        )
        try:
            counts = queue_depth(self.settings)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even with the DB down
            log.warning("queue depth unavailable: %s: %s", type(exc).__name__, exc)
            ok.add_metric([], 0)
            yield ok
            return
        for (step, status), count in sorted(counts.items()):
            family.add_metric([step, status], count)
        ok.add_metric([], 1)
        yield family
        yield ok

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "winback_queue_jobs",
            "Pipeline steps waiting or running, by step and status (read at scrape time).",
            labels=["step", "status"],
        )


_queue_collector: QueueDepthCollector | None = None
_collector_lock = threading.Lock()


def watch_queue(settings: Settings) -> None:
    """Report the queue depth of ``settings``' database in this process's registry.

    Registered once per process; a later call (tests, a second app) only
    points the collector at the new settings.
    """
    global _queue_collector
    with _collector_lock:
        if _queue_collector is None:
            _queue_collector = QueueDepthCollector(settings)
            REGISTRY.register(_queue_collector)
        else:
            _queue_collector.settings = settings


def registry() -> CollectorRegistry:
    """The registry to expose: the default one, or a multiprocess view.

    With ``PROMETHEUS_MULTIPROC_DIR`` set (``winback worker --worker-type
    process``, see docs/deploy.md) the forked workers write their samples
    to files there, and the exposition merges them.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    if _queue_collector is not None:
        merged.register(_queue_collector)
    return merged


#: Headers a reverse proxy adds: a request carrying one was relayed, so it is not local.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def scrape_refusal(
    settings: Settings, authorization: str | None, *, local: bool
) -> tuple[int, str] | None:
    """Why a scrape is refused, as (HTTP status, text), or None when it may read the metrics.

    With ``metrics_token`` set every scrape must send it. Without one the
    metrics answer only a scrape from this machine (``local``: a loopback
    client whose request no proxy relayed), so a server listening on a
    public address, or behind a proxy, never shows them to the world.
    """
    if settings.metrics_token is not None:
        if token_ok(settings, authorization):
            return None
        return 401, "Send Authorization: Bearer <metrics_token>.\n"
    if local:
        return None
    return 403, (
        "Without a metrics_token (WINBACK_METRICS_TOKEN) the metrics answer only scrapes "
        "from this machine; set a token to scrape from another one.\n"
    )


def token_ok(settings: Settings, authorization: str | None) -> bool:
    """Whether a request may read the metrics: no token configured, or the right Bearer."""
    if settings.metrics_token is None:
        return True
    expected = settings.metrics_token.get_secret_value()
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def bind_metrics_server(
    settings: Settings, port: int, host: str | None = None
) -> ThreadingHTTPServer:
    """A bound, not yet serving HTTP server for this process's ``/metrics``.

    The same exposition as prometheus_client's ``start_http_server``, plus
    the Bearer check of ``metrics_token``. Binding first and serving later
    lets ``winback worker`` fail on a taken port before it forks workers,
    and start the serving thread only after the fork.
    """
    watch_queue(settings)
    base: Any = MetricsHandler.factory(registry())

    class Handler(base):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            relayed = any(self.headers.get(name) for name in FORWARDING_HEADERS)
            local = is_loopback(self.client_address[0]) and not relayed
            refusal = scrape_refusal(settings, self.headers.get("Authorization"), local=local)
            if refusal is not None:
                status, text = refusal
                body = text.encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", "Bearer")
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("metrics %s", format % args)

    server = ThreadingHTTPServer((host or settings.metrics_host, port), Handler)
    server.daemon_threads = True
    return server


def start_metrics_server(server: ThreadingHTTPServer) -> threading.Thread:
    """Serve ``server`` in a daemon thread (stop it with ``server.shutdown()``)."""
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return thread
