"""Fast JSON responses for the hot read endpoints.

FastAPI validates and re-encodes a returned dict (``jsonable_encoder``),
which costs more CPU than the database work of a small read. The read
endpoints that integrations and pages poll (plan, account, note list)
encode with :func:`json_bytes` instead: orjson (a dependency of chromadb,
so always installed) encodes dates and datetimes natively. Responses are
kept as encoded bytes and sent with :func:`raw_json_response`, so a cache
hit costs no encoding at all.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


def json_bytes(content: Any) -> bytes:
    """``content`` as JSON with orjson (dates, datetimes natively; unknown types as ``str``)."""
    return orjson.dumps(content, default=str, option=orjson.OPT_NON_STR_KEYS)


def raw_json_response(body: bytes, status_code: int = 200) -> Response:
    """Send already encoded JSON ``body`` (e.g. from a cache) as is."""
    return Response(body, status_code=status_code, media_type="application/json")
