"""Messages for the analysis questions and one bounded, validated model call.

Every question of one call shares the same prefix - the system prompt with
all label definitions, then the fenced account context and numbered
transcript - and differs only in the short task at the end. With the local
llama.cpp model that prefix is evaluated once per call and reused from the
KV cache by the following questions, which is what makes four small
questions cost little more than one big one on a 2-core CPU. For the same
reason the JSON schema is *not* pasted into the prompt (it would come
before the transcript): the grammar built from it constrains decoding, and
each task text names its fields in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pydantic
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agent.analysis.schema import AccountContext, Turn
from agent.errors import StructuredOutputError
from agent.llm.structured import generate_structured
from agent.llm.usage import Usage
from agent.prompts import fence, render_prompt
from agent.settings import Settings

T = TypeVar("T", bound=pydantic.BaseModel)

SPEAKER_LABELS = {
    "de": {"rep": "VERTRIEB", "customer": "KUNDE"},
    "en": {"rep": "REP", "customer": "CUSTOMER"},
}


def number_turns(turns: Sequence[Turn], language: str) -> str:
    """The transcript as numbered lines ("[3] KUNDE: ..."), numbers starting at 1."""
    labels = SPEAKER_LABELS.get(language, SPEAKER_LABELS["en"])
    return "\n".join(
        f"[{i}] {labels[t.speaker]}: {' '.join(t.text.split())}" for i, t in enumerate(turns, 1)
    )


def account_block(account: AccountContext, language: str) -> str:
    """The account context as short lines (notes included, all of it untrusted data)."""
    de = language == "de"
    lines = []
    for key, label_de, label_en in (
        ("name", "Firma", "Company"),
        ("industry", "Branche", "Industry"),
        ("city", "Ort", "City"),
        ("contact", "Ansprechpartner", "Contact"),
        ("last_order_date", "Letzte Bestellung", "Last order"),
    ):
        value = getattr(account, key)
        if value:
            lines.append(f"{label_de if de else label_en}: {value}")
    for note in account.notes[:10]:
        lines.append(f"{'Notiz' if de else 'Note'}: {note}")
    return "\n".join(lines) or ("(keine)" if de else "(none)")


def context_messages(
    turns: Sequence[Turn], account: AccountContext, call_date: str, language: str
) -> tuple[SystemMessage, str]:
    """The shared system message and the shared beginning of the user message."""
    lang = language if language in ("de", "en") else "en"
    system = SystemMessage(content=render_prompt(f"analysis/{lang}/system"))
    context = render_prompt(
        f"analysis/{lang}/context",
        call_date=call_date,
        account=fence(account_block(account, lang)),
        transcript=fence(number_turns(turns, lang)),
    )
    return system, context


def task_messages(
    system: SystemMessage, context: str, task: str, language: str
) -> list[BaseMessage]:
    """System message plus one user message: shared context, then the task text."""
    lang = language if language in ("de", "en") else "en"
    task_text = render_prompt(f"analysis/{lang}/{task}")
    return [system, HumanMessage(content=f"{context}\n{task_text}")]


@dataclass
class Asked:
    """Bookkeeping of all model calls for one analysis."""

    usages: list[Usage] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def prompt_tokens(self) -> int:
        return sum(u.prompt_tokens for u in self.usages)

    @property
    def completion_tokens(self) -> int:
        return sum(u.completion_tokens for u in self.usages)


def ask(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    settings: Settings,
    max_tokens: int,
    purpose: str,
    log: Asked,
) -> T:
    """One analysis question through the structured-output loop of :mod:`agent.llm.structured`.

    Grammar-constrained, validated, re-asked with the error a bounded number
    of times; the schema stays out of the prompt so every question of a call
    shares its prefix. The question's usage and raw answer go to ``log``.
    Raises :class:`~agent.errors.StructuredOutputError` with the last output,
    or :class:`~agent.errors.ModelError` when the model could not be asked.
    """
    try:
        result = generate_structured(
            model,
            messages,
            schema,
            max_tokens=max_tokens,
            purpose=f"analysis:{purpose}",
            settings=settings,
            schema_in_prompt=False,
            usages=log.usages,
        )
    except StructuredOutputError as exc:
        log.raw[purpose] = exc.last_output or ""
        raise
    log.raw[purpose] = result.raw
    return result.value
