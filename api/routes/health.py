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

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from agent.crm.models import Role
from agent.metrics import token_ok
from agent.settings import Settings
from api.deps import resolve_principal
from api.errors import NotAuthenticated
from api.schemas.health import LivenessOut, ReadinessOut
from api.services.health import brief, readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness", response_model=LivenessOut)
async def healthz() -> LivenessOut:
    """Liveness: the process answers. No dependency is touched."""
    return LivenessOut(status="ok")


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


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "A dependency fails; see failing."}},
)
def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when every dependency a request needs works, else 503 naming the failures."""
    ready, report = readiness(request.app.state.settings)
    if not sees_details(request):
        report = brief(report)
    return JSONResponse(report, status_code=200 if ready else 503)
