"""The API tests' two-tenant world and client, for the security tests that attack the app."""

from __future__ import annotations

from tests.api.conftest import api_settings, client, world

__all__ = ["api_settings", "client", "world"]
