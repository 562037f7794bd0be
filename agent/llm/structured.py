"""Structured output: a pydantic schema in, a validated object out.

:func:`generate_structured` works with every chat backend:

* the JSON schema of the pydantic model is *bounded* first - every array gets
  a ``maxItems`` and every free string a ``maxLength`` unless the schema says
  otherwise - because small local models otherwise fall into repetition loops
  (one word repeated until the token limit; see DESIGN.md);
* the local llama.cpp backend receives the schema as a grammar
  (``{"type": "json_object", "schema": ...}``) so it can only emit valid JSON
  of that shape; the ``openai`` backend receives it as ``json_schema``
  response format (or the llama.cpp server variant, per
  ``settings.openai_response_format``);
* the reply is validated with pydantic; on a validation error the model is
  re-asked with the error text, at most ``structured_max_retries`` times;
  then :class:`agent.errors.StructuredOutputError` carries the last output;
* each call returns its :class:`~agent.llm.usage.Usage` (model, tokens,
  latency, attempts) and appends it to :data:`agent.llm.usage.usage_log`.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pydantic
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agent.errors import ModelError, StructuredOutputError
from agent.llm.usage import Usage, usage_from_message, usage_log
from agent.settings import Settings, get_settings

T = TypeVar("T", bound=pydantic.BaseModel)

#: Defaults used when a schema leaves arrays or strings unbounded.
DEFAULT_MAX_ITEMS = 10
DEFAULT_MAX_LENGTH = 300


@dataclass
class StructuredResult(Generic[T]):
    """A validated object plus what it cost and the raw completion it came from."""

    value: T
    usage: Usage
    raw: str


def bounded_schema(
    schema: dict[str, Any],
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> dict[str, Any]:
    """Return a copy of a JSON schema in which every array and free string is bounded.

    Existing bounds, enums, consts and formats are kept; only missing
    ``maxItems``/``maxLength`` are added. The grammar built from the result
    cannot produce an endless array or string.
    """
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "array" in kinds and "maxItems" not in node:
                node["maxItems"] = max_items
            free = not any(k in node for k in ("enum", "const", "format", "pattern"))
            if "string" in kinds and free and "maxLength" not in node:
                node["maxLength"] = max_length
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(out)
    return out


def _is_local(model: BaseChatModel) -> bool:
    return getattr(model, "_llm_type", "") == "llama-cpp-inprocess"


def response_format_for(
    model: BaseChatModel, name: str, schema: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """The ``response_format`` argument that makes ``model`` follow ``schema``."""
    if _is_local(model) or settings.openai_response_format == "json_object_schema":
        # llama-cpp-python (in-process and its server) turns this into a grammar.
        return {"type": "json_object", "schema": schema}
    if settings.openai_response_format == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": name[:64], "schema": schema, "strict": False},
    }


def _instruction(schema: dict[str, Any]) -> str:
    return (
        "Answer with exactly one JSON object and nothing else. It must validate against "
        "this JSON schema:\n" + json.dumps(schema, ensure_ascii=False)
    )


def with_instruction(messages: list[BaseMessage], schema: dict[str, Any]) -> list[BaseMessage]:
    """``messages`` with the schema instruction appended to the system message (as sent)."""
    text = _instruction(schema)
    if messages and isinstance(messages[0], SystemMessage):
        first = SystemMessage(content=f"{messages[0].content}\n\n{text}")
        return [first, *messages[1:]]
    return [SystemMessage(content=text), *messages]


def parse_json_object(text: str) -> Any:
    """Parse the JSON object in ``text``, tolerating code fences and prose around it."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        if stripped.lower().startswith("json"):
            stripped = stripped[4:]
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start != -1 and end > start:
            return json.loads(stripped[start : end + 1])
        raise


def generate_structured(
    model: BaseChatModel,
    messages: list[BaseMessage] | str,
    schema: type[T],
    *,
    max_retries: int | None = None,
    max_tokens: int | None = None,
    purpose: str = "",
    settings: Settings | None = None,
) -> StructuredResult[T]:
    """Ask ``model`` for an instance of ``schema`` and return it validated.

    ``messages`` is a LangChain message list or a plain user prompt. The JSON
    schema (bounded, see :func:`bounded_schema`) is added to the system
    message and passed to the backend for constrained decoding. When the
    reply is not valid JSON or fails validation, the model is asked again with
    the error text, at most ``max_retries`` times (default
    ``settings.structured_max_retries``). Raises
    :class:`StructuredOutputError` (with ``last_output``) when every attempt
    failed, and :class:`ModelError` when the backend itself fails.
    """
    settings = settings or get_settings()
    retries = settings.structured_max_retries if max_retries is None else max_retries
    if isinstance(messages, str):
        messages = [HumanMessage(content=messages)]
    json_schema = bounded_schema(schema.model_json_schema())
    conversation = with_instruction(list(messages), json_schema)
    kwargs: dict[str, Any] = {
        "response_format": response_format_for(model, schema.__name__, json_schema, settings)
    }
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens

    total: Usage | None = None
    last_output = ""
    last_error = ""
    for attempt in range(1, retries + 2):
        started = time.perf_counter()
        try:
            reply = model.invoke(conversation, **kwargs)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - network/engine errors become our type
            raise ModelError(f"Chat model call failed: {type(exc).__name__}: {exc}") from exc
        usage = usage_from_message(
            reply, getattr(model, "model_name", "unknown"), time.perf_counter() - started
        )
        if total is None:
            total = usage
            total.purpose = purpose
        else:
            total.add(usage)
            total.attempts = attempt
        last_output = reply.content if isinstance(reply.content, str) else str(reply.content)
        try:
            value = schema.model_validate(parse_json_object(last_output))
        except (json.JSONDecodeError, pydantic.ValidationError) as exc:
            last_error = str(exc)
            conversation = [
                *conversation,
                AIMessage(content=last_output),
                HumanMessage(
                    content="Your answer was not valid for the schema:\n"
                    f"{last_error[:2000]}\nReply again with one corrected JSON object only."
                ),
            ]
            continue
        usage_log.record(total)
        return StructuredResult(value=value, usage=total, raw=last_output)

    assert total is not None
    usage_log.record(total)
    raise StructuredOutputError(
        f"The chat model gave no valid {schema.__name__} after {retries + 1} attempts; "
        f"last error: {last_error[:500]}",
        last_output=last_output,
    )
