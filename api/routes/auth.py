"""``/api/me``: who the caller is (and the CSRF token for browser scripts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import AnyUser
from api.security import csrf_token

router = APIRouter(prefix="/api", tags=["auth"])


@router.get("/me", summary="The current user")
def get_me(request: Request, user: AnyUser) -> dict[str, Any]:
    """The authenticated user; a browser session also gets its CSRF token."""
    data = getattr(request.state, "session_data", None)
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role.value,
        "tenant": user.tenant_slug,
        "language": user.language,
        "csrf_token": csrf_token(request.app.state.secret, data) if data else None,
    }
