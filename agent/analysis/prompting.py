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

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agent.analysis.schema import AccountContext, Turn
from agent.errors import ModelError, StructuredOutputError
from agent.llm.structured import bounded_schema, parse_json_object, response_format_for
from agent.llm.usage import Usage, usage_from_message, usage_log
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
    """One structured question: grammar-constrained, validated, re-asked a bounded number of times.

    The schema is bounded (every list and string has a maximum) and passed as
    the response format, so the local model can only emit JSON of that shape.
    A reply that does not validate (invalid JSON, unknown code, refusal text)
    is answered with the error and asked again, at most
    ``settings.structured_max_retries`` times; an engine error is retried the
    same way. Raises :class:`StructuredOutputError` with the last output.
    """
    json_schema = bounded_schema(schema.model_json_schema())
    kwargs: dict[str, Any] = {
        "response_format": response_format_for(model, schema.__name__, json_schema, settings),
        "max_tokens": max_tokens,
    }
    conversation = list(messages)
    last_output, last_error = "", ""
    for _attempt in range(settings.structured_max_retries + 1):
        started = time.perf_counter()
        try:
            reply = model.invoke(conversation, **kwargs)
        except Exception as exc:  # noqa: BLE001 - engine/network errors: bounded retry
            last_error = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, ModelError | OSError | ValueError | RuntimeError):
                raise
            continue
        usage = usage_from_message(
            reply, getattr(model, "model_name", "unknown"), time.perf_counter() - started
        )
        usage.purpose = f"analysis:{purpose}"
        usage_log.record(usage)
        log.usages.append(usage)
        last_output = reply.content if isinstance(reply.content, str) else str(reply.content)
        log.raw[purpose] = last_output
        try:
            return schema.model_validate(parse_json_object(last_output))
        except (json.JSONDecodeError, pydantic.ValidationError) as exc:
            last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            detail = str(exc)[:800]
            conversation = [
                *messages,
                AIMessage(content=last_output[:2000]),
                HumanMessage(
                    content=f"Invalid answer: {detail}\nReply with one corrected JSON object only."
                ),
            ]
    raise StructuredOutputError(
        f"The model gave no valid answer for '{purpose}' after "
        f"{settings.structured_max_retries + 1} attempts: {last_error[:300]}",
        last_output=last_output,
    )
