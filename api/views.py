"""Rendering of the server-side pages (Jinja2 with autoescape on).

Model-written text reaches templates only as plain strings, so Jinja
escapes it; nothing in the templates uses ``|safe`` on such text. The
language of a page comes from the ``winback_lang`` cookie, else the user's
setting, else German.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from agent.catalogue.vocabulary import vocabulary
from agent.errors import PayloadTooLargeError
from api.i18n import DEFAULT_LANGUAGE, FILTERS, LANGUAGES, text, translator
from api.security import LANG_COOKIE, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 256 * 1024

env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(FILTERS)


def page_language(request: Request) -> str:
    """The UI language of this request."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.language in LANGUAGES:
        return principal.language
    return DEFAULT_LANGUAGE


#: Kinds of code whose names are UI texts (``api.i18n``: ``<prefix><code>``), not domain terms.
UI_CODE_KINDS = {
    "account_status": "account_status_",
    "note_kind": "note_kind_",
    "note_status": "status_",
    "stage": "stage_",
    "speaker": "speaker_",
    "role": "role_",
    "group": "group_",
    "task_status": "task_status_",
    "basis": "basis_",
}


def code_namer(language: str) -> Any:
    """``name(kind, code)`` for templates: a code as a person reads it, never the raw code.

    Churn reasons, outcomes and next steps come from the domain catalogue
    (:mod:`agent.catalogue`); the codes of the app's own states (account
    status, note kind, recording stage …) from the UI texts.
    """
    vocab = vocabulary()

    def name(kind: str, code: Any) -> str:
        code = getattr(code, "value", code)
        if not code:
            return "–"
        if kind == "reason":
            return vocab.reason_name(code, language)
        if kind == "outcome":
            return vocab.outcome_name(code, language)
        if kind in UI_CODE_KINDS:
            return text(UI_CODE_KINDS[kind] + str(code), language)
        return vocab.step_name(code, language)

    return name


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the user, the CSRF token, the translator and code names."""
    lang = page_language(request)
    data = getattr(request.state, "session_data", None)
    csrf = csrf_token(request.app.state.secret, data) if data is not None else ""
    html = env.get_template(template).render(
        request=request,
        user=getattr(request.state, "principal", None),
        csrf=csrf,
        lang=lang,
        t=translator(lang),
        name=code_namer(lang),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def render_error(request: Request, status: int, detail: str) -> HTMLResponse:
    """A small error page in the user's language."""
    return render(request, "error.html", status_code=status, status=status, detail=detail)


async def read_form(request: Request) -> dict[str, str]:
    """Parse a URL-encoded form body (first value of each field), at most 256 KiB."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLargeError("The form is larger than 256 KiB.")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] for key, values in parsed.items()}
