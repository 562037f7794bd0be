"""``/metrics``: the app's Prometheus metrics (see :mod:`agent.metrics`).

Included only when ``metrics_enabled``. With ``metrics_token`` set a scrape
must send ``Authorization: Bearer <token>``; without it the endpoint is open,
so expose it only on a network the scraper alone can reach (docs/deploy.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.metrics import registry, token_ok

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """The exposition in Prometheus' text format; 401 without the configured token."""
    if not token_ok(request.app.state.settings, request.headers.get("authorization")):
        # Answered here, not through api/errors.py: a scraper must get a plain 401,
        # not the login redirect that browsers get for a missing session.
        return PlainTextResponse(
            "Send Authorization: Bearer <metrics_token>.\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
