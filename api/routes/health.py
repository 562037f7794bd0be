"""``/healthz`` (liveness) and ``/readyz`` (readiness) for load balancers and orchestrators.

Liveness answers as long as the process serves requests; it touches no
dependency, so a database outage never gets a healthy server restarted.
Readiness runs the doctor's checks (:mod:`agent.doctor`) of what a request
needs: the database (reachable, schema current), the queue backend, the
Chroma server when one is configured, and the audio store (writable). It
answers 200 with every check, or 503 naming the failing checks and why.

Both need no login: probes have none, and a probe needs only the status
code. So an anonymous ``/readyz`` names the checks and which of them fail,
without their details, which hold filesystem paths, hosts and error texts;
an admin (session or API token) and the scraper (``metrics_token``) get the
whole report. Even that never contains a secret: URLs are shown without
passwords and any configured secret value is masked, whatever an error
message quoted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url

from agent import doctor
from agent.crm.models import Role
from agent.metrics import token_ok
from agent.settings import Settings
from api.deps import resolve_principal
from api.errors import NotAuthenticated

router = APIRouter(tags=["operations"])

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


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. No dependency is touched."""
    return {"status": "ok"}


def brief(report: dict[str, Any]) -> dict[str, Any]:
    """The report without details: check names and states only (for anonymous probes)."""
    short: dict[str, Any] = {
        "status": report["status"],
        "checks": [{key: c[key] for key in ("name", "status", "ms")} for c in report["checks"]],
    }
    if "failing" in report:
        short["failing"] = [{"name": f["name"]} for f in report["failing"]]
    return short


def sees_details(request: Request) -> bool:
    """Whether the caller may read the checks' details: the scraper's token or an admin."""
    settings: Settings = request.app.state.settings
    authorization = request.headers.get("authorization")
    if settings.metrics_token is not None and token_ok(settings, authorization):
        return True
    try:
        principal = resolve_principal(request)
    except NotAuthenticated:
        return False
    except Exception:  # noqa: BLE001 - a dead database must not turn the probe into a 500
        return False
    return principal is not None and principal.role == Role.admin


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when every dependency a request needs works, else 503 naming the failures."""
    ready, report = readiness(request.app.state.settings)
    if not sees_details(request):
        report = brief(report)
    return JSONResponse(report, status_code=200 if ready else 503)
