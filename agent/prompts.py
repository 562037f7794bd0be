"""Prompt templates kept as files in the top-level ``prompts/`` package.

A template is a Markdown file with a small header that declares its
variables::

    ---
    variables: [transcript, call_date]
    ---
    Du bist ...  {{ call_date }} ...  {{ transcript }}

Rendering uses Jinja2 with ``StrictUndefined``: a missing variable, an
undeclared variable or a declared-but-unused one is an error, so prompts and
code cannot drift apart silently. Untrusted text (transcripts, CRM notes) must
be passed through :func:`fence` so it is clearly marked as data and cannot
close the fence itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from jinja2 import meta

from agent.errors import ConfigError

_HEADER = re.compile(r"\A---\s*\n(?P<header>.*?)\n---\s*\n", re.DOTALL)
_VARIABLES = re.compile(r"^variables:\s*\[(?P<names>[^\]]*)\]\s*$", re.MULTILINE)
_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701 - prompts are plain text for a model, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

FENCE_OPEN = "<<<DATEN_BEGINN / DATA_BEGIN>>>"
FENCE_CLOSE = "<<<DATEN_ENDE / DATA_END>>>"


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed prompt file: its name, declared variables and Jinja template."""

    name: str
    variables: frozenset[str]
    source: str

    def render(self, **values: Any) -> str:
        """Render with exactly the declared variables; raise ConfigError otherwise."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ConfigError(
                f"Prompt {self.name!r}: missing variables {sorted(missing)}, "
                f"unexpected variables {sorted(extra)}"
            )
        try:
            return _ENV.from_string(self.source).render(**values).strip() + "\n"
        except jinja2.TemplateError as exc:
            raise ConfigError(f"Prompt {self.name!r} failed to render: {exc}") from exc


def parse_prompt(name: str, text: str) -> PromptTemplate:
    """Parse the text of a prompt file; raise :class:`ConfigError` when it does not declare
    exactly the variables it uses, so a drifted prompt fails when it is loaded, not in use.
    """
    match = _HEADER.match(text)
    if not match:
        raise ConfigError(f"Prompt {name!r} has no '---' header declaring its variables")
    vars_match = _VARIABLES.search(match.group("header"))
    declared = (
        frozenset(v.strip() for v in vars_match.group("names").split(",") if v.strip())
        if vars_match
        else frozenset()
    )
    body = text[match.end() :]
    try:
        used = meta.find_undeclared_variables(_ENV.parse(body))
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"Prompt {name!r} has a syntax error: {exc}") from exc
    if used != declared:
        raise ConfigError(
            f"Prompt {name!r}: declared variables {sorted(declared)} "
            f"but the text uses {sorted(used)}"
        )
    return PromptTemplate(name=name, variables=declared, source=body)


@lru_cache(maxsize=128)
def load_prompt(name: str) -> PromptTemplate:
    """Load ``prompts/<name>.md`` (``name`` may contain ``/`` for subfolders)."""
    parts = name.split("/")
    node = resources.files("prompts")
    for part in parts[:-1]:
        node = node.joinpath(part)
    node = node.joinpath(parts[-1] + ".md")
    if not node.is_file():
        raise ConfigError(f"Prompt file prompts/{name}.md not found")
    return parse_prompt(name, node.read_text(encoding="utf-8"))


def render_prompt(prompt_name: str, /, **values: Any) -> str:
    """Load and render a prompt in one step."""
    return load_prompt(prompt_name).render(**values)


def fence(text: str) -> str:
    """Wrap untrusted text as data; fence markers inside it are neutralised."""
    cleaned = text.replace("<<<", "‹‹‹").replace(">>>", "›››")
    return f"{FENCE_OPEN}\n{cleaned}\n{FENCE_CLOSE}"
