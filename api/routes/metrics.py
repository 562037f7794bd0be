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


@router.get("/metrics", include_in_schema=False)
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
