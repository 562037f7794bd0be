"""The pre-call brief: facts by code, language by the model, every claim grounded.

Public API: :func:`generate_brief` (the flow), :class:`Brief` (the model),
:func:`to_markdown`/:func:`to_html`/:func:`to_json` and :func:`save_brief`.
"""

from agent.brief.generator import BriefRun, generate_brief
from agent.brief.render import to_html, to_json, to_markdown
from agent.brief.schema import Brief
from agent.brief.store import list_briefs, load_brief, save_brief

__all__ = [
    "Brief",
    "BriefRun",
    "generate_brief",
    "list_briefs",
    "load_brief",
    "save_brief",
    "to_html",
    "to_json",
    "to_markdown",
]
