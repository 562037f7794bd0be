"""Structured output: a pydantic schema in, a validated object out - the one re-ask loop.

:func:`generate_structured` works with every chat backend and is the only
place that asks a chat model for typed output (the brief and the call
analysis both use it):

* the JSON schema of the pydantic model is *bounded* first - every array gets
  a ``maxItems`` and every free string a ``maxLength`` unless the schema says
  otherwise - because small local models otherwise fall into repetition loops
  (one word repeated until the token limit);
* the local llama.cpp backend receives the schema as a grammar
  (``{"type": "json_object", "schema": ...}``) so it can only emit valid JSON
  of that shape; the ``openai`` backend receives it as ``json_schema``
  response format (or the llama.cpp server variant, per
  ``settings.openai_response_format``);
* the reply is validated with pydantic, with an optional validation
  ``context`` for validators that check the answer against its input (as
  instructor does); on a validation error the model is re-asked with the
  error text, at most ``structured_max_retries`` times; no usable answer
  (:class:`agent.errors.ModelAnswerError`: a refusal, cut off at the token
  limit, a rate limit) is asked again unchanged within the same bound; then
  :class:`agent.errors.StructuredOutputError` carries the last output;
* an endpoint that failed the request (:class:`agent.errors.ModelEndpointError`,
  raised by the backend within twice ``openai_timeout_s``), any other
  :class:`agent.errors.ModelError` or an engine error ends the call at once:
  asking again cannot help;
* each call returns one :class:`~agent.llm.usage.Usage` (model, tokens,
  latency, attempts, summed over its attempts) and appends it once to
  :data:`agent.llm.usage.usage_log` - also when it fails.
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

from agent.errors import ModelAnswerError, ModelError, StructuredOutputError
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


#: How much of a validation error goes back to the model (enough for every field's message).
FEEDBACK_CHARS = 1000
#: How much of the rejected answer is shown back to the model.
ANSWER_CHARS = 2000


def reask_messages(messages: list[BaseMessage], answer: str, error: str) -> list[BaseMessage]:
    """The re-ask after an invalid answer: the question, that answer, and what was wrong.

    Only the last answer is shown, not all earlier ones, so the prompt stays
    the question's prefix (the local model's prompt cache) plus one exchange.
    """
    return [
        *messages,
        AIMessage(content=answer[:ANSWER_CHARS]),
        HumanMessage(
            content="Invalid answer: it was not valid for the schema:\n"
            f"{error[:FEEDBACK_CHARS]}\nReply with one corrected JSON object only."
        ),
    ]


def generate_structured(
    model: BaseChatModel,
    messages: list[BaseMessage] | str,
    schema: type[T],
    *,
    max_retries: int | None = None,
    max_tokens: int | None = None,
    purpose: str = "",
    settings: Settings | None = None,
    context: dict[str, Any] | None = None,
    schema_in_prompt: bool = True,
    usages: list[Usage] | None = None,
) -> StructuredResult[T]:
    """Ask ``model`` for an instance of ``schema`` and return it validated.

    ``messages`` is a LangChain message list or a plain user prompt. The JSON
    schema (bounded, see :func:`bounded_schema`) is passed to the backend for
    constrained decoding and, unless ``schema_in_prompt`` is false, added to
    the system message (the analysis keeps it out so its questions share one
    cached prompt prefix; its task texts name the fields). ``context`` goes to
    pydantic validation (``info.context`` in validators).

    An invalid reply is answered with the error and asked again, at most
    ``max_retries`` times (default ``settings.structured_max_retries``). The
    call's usage is recorded once in :data:`usage_log` and appended to
    ``usages`` when given, also when the call fails. Raises
    :class:`StructuredOutputError` (with ``last_output``) when every attempt
    failed, :class:`~agent.errors.ModelEndpointError` at once when the endpoint
    failed the request, and :class:`ModelError` when the backend itself fails.
    """
    settings = settings or get_settings()
    retries = settings.structured_max_retries if max_retries is None else max_retries
    if isinstance(messages, str):
        messages = [HumanMessage(content=messages)]
    json_schema = bounded_schema(schema.model_json_schema())
    question = with_instruction(list(messages), json_schema) if schema_in_prompt else messages
    kwargs: dict[str, Any] = {
        "response_format": response_format_for(model, schema.__name__, json_schema, settings)
    }
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    name = str(getattr(model, "model_name", "unknown"))
    total = Usage(model=name, purpose=purpose, attempts=0)
    conversation = list(question)
    last_output = ""
    last_error = ""
    try:
        for _ in range(retries + 1):
            total.attempts += 1
            started = time.perf_counter()
            try:
                reply = model.invoke(conversation, **kwargs)
            except ModelAnswerError as exc:  # no usable answer this time: ask again unchanged
                total.latency_s += time.perf_counter() - started
                last_error = str(exc)
                continue
            except ModelError:  # incl. ModelEndpointError: asking again cannot help
                raise
            except Exception as exc:  # noqa: BLE001 - engine errors become our type
                raise ModelError(f"Chat model call failed: {type(exc).__name__}: {exc}") from exc
            usage = usage_from_message(reply, name, time.perf_counter() - started)
            total.model = usage.model
            total.add(usage)
            last_output = reply.content if isinstance(reply.content, str) else str(reply.content)
            try:
                data = parse_json_object(last_output)
                value = schema.model_validate(data, context=context)
            except (json.JSONDecodeError, pydantic.ValidationError) as exc:
                last_error = str(exc)
                conversation = reask_messages(question, last_output, last_error)
                continue
            return StructuredResult(value=value, usage=total, raw=last_output)
    finally:
        usage_log.record(total)
        if usages is not None:
            usages.append(total)
    what = f"{schema.__name__} for '{purpose}'" if purpose else schema.__name__
    raise StructuredOutputError(
        f"The chat model gave no valid {what} after {total.attempts} attempts; "
        f"last error: {last_error[:500]}",
        last_output=last_output,
    )
