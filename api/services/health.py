"""The readiness report behind ``/readyz``: the doctor's checks, run in parallel, redacted.

Readiness runs the doctor's checks (:mod:`agent.doctor`) of what a request
needs: the database (reachable, schema current), the queue backend, the
Chroma server when one is configured, and the audio store (writable). The
full report holds filesystem paths, hosts and error texts, so anonymous
probes get :func:`brief`; even the full report never contains a secret: URLs
are shown without passwords and any configured secret value is masked,
whatever an error message quoted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import make_url

from agent import doctor
from agent.settings import Settings

MASK = doctor.MASK


def _checks(settings: Settings) -> list[Callable[[Settings], doctor.Check]]:
    checks: list[Callable[[Settings], doctor.Check]] = [doctor.check_database, doctor.check_queue]
    if settings.chroma_url:  # the embedded store lives in data_dir, covered by the disk itself
        checks.append(doctor.check_chroma)
    checks.append(doctor.check_audio_store)
    return checks


def _secrets(settings: Settings) -> list[str]:
    """Secret values that must never appear in an answer (passwords inside URLs, keys)."""
    found: list[str] = []
    for url in (settings.db_url, settings.redis_url, settings.chroma_url):
        if not url:
            continue
        try:
            password = make_url(url).password
        except Exception:  # noqa: BLE001 - an unparsable URL is masked by the regex
            password = None
        if password:
            found.append(str(password))
    for secret in (
        settings.openai_api_key,
        settings.secret_key,
        settings.metrics_token,
        settings.erasure_salt,
    ):
        if secret is not None and secret.get_secret_value():
            found.append(secret.get_secret_value())
    return sorted(found, key=len, reverse=True)


def redact(text: str, settings: Settings) -> str:
    """``text`` without passwords in URLs and without any configured secret value."""
    text = doctor.hide_passwords(text)
    for secret in _secrets(settings):
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


def _run(check: Callable[[Settings], doctor.Check], settings: Settings) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check(settings)
    except Exception as exc:  # noqa: BLE001 - the doctor's checks should not raise; be sure
        name = check.__name__.removeprefix("check_")
        result = doctor.Check(name, "fail", f"{type(exc).__name__}: {exc}")
    return {
        "name": result.name,
        "status": result.status,
        "detail": redact(result.detail, settings),
        "hint": result.hint,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def readiness(settings: Settings) -> tuple[bool, dict[str, Any]]:
    """Run the readiness checks in parallel; return (ready, the JSON report).

    The checks run side by side, so a dead dependency costs its probe's
    timeout (3 s) once, not once per check. Warnings (little disk space)
    do not make the server unready.
    """
    checks = _checks(settings)
    with ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz") as pool:
        results = list(pool.map(lambda check: _run(check, settings), checks))
    failing = [{"name": r["name"], "reason": r["detail"]} for r in results if r["status"] == "fail"]
    report: dict[str, Any] = {
        "status": "fail" if failing else "ok",
        "checks": results,
    }
    if failing:
        report["failing"] = failing
    return not failing, report


def brief(report: dict[str, Any]) -> dict[str, Any]:
    """The report without details: check names and states only (for anonymous probes)."""
    short: dict[str, Any] = {
        "status": report["status"],
        "checks": [{key: c[key] for key in ("name", "status", "ms")} for c in report["checks"]],
    }
    if "failing" in report:
        short["failing"] = [{"name": f["name"]} for f in report["failing"]]
    return short
