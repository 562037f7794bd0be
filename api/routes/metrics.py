"""``/metrics``: the app's Prometheus metrics (see :mod:`agent.metrics`).

Included only when ``metrics_enabled``. With ``metrics_token`` set a scrape
must send ``Authorization: Bearer <token>``; without one the endpoint answers
only scrapes from this machine (a loopback client, not relayed by a proxy)
and refuses every other with 403, so an app listening on a public address
never shows its metrics to the world (docs/deploy.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.metrics import FORWARDING_HEADERS, is_loopback, registry, scrape_refusal

router = APIRouter(tags=["operations"])


EXPOSITION_EXAMPLE = (
    "# HELP winback_http_requests_total HTTP requests answered, by method, route template "
    "and status.\n"
    "# TYPE winback_http_requests_total counter\n"
    'winback_http_requests_total{method="GET",route="/api/plan",status="200"} 1027.0\n'
)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The exposition in Prometheus' text format (version 0.0.4).",
            "content": {
                "text/plain": {"schema": {"type": "string"}, "example": EXPOSITION_EXAMPLE}
            },
        },
        401: {"description": "metrics_token is set and the scrape sent no or another token."},
        403: {"description": "No metrics_token is set and the scrape is not from this machine."},
    },
)
def metrics(request: Request) -> Response:
    """The exposition in Prometheus' text format; 401/403 when the scrape may not read it."""
    relayed = any(name in request.headers for name in FORWARDING_HEADERS)
    local = is_loopback(request.client.host if request.client else None) and not relayed
    refusal = scrape_refusal(
        request.app.state.settings, request.headers.get("authorization"), local=local
    )
    if refusal is not None:
        # Answered here, not through api/errors.py: a scraper must get a plain 401/403,
        # not the login redirect that browsers get for a missing session.
        status, text = refusal
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return PlainTextResponse(text, status_code=status, headers=headers)
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
