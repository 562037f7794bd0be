"""Unit tests of generate_structured (the one re-ask loop) and bounded_schema, fake model.

The same loop against a real endpoint that is down: tests/llm/test_openai.py.
"""

from __future__ import annotations

import json
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from agent.errors import ModelAnswerError, ModelEndpointError, ModelError, StructuredOutputError
from agent.llm import bounded_schema, generate_structured, usage_log
from agent.llm.structured import parse_json_object, response_format_for
from agent.settings import configure
from agent.testing import FakeChatModel


class Reason(BaseModel):
    code: Literal["delivery_speed", "price_terms", "other"]
    evidence: str = Field(max_length=80)


class Analysis(BaseModel):
    reasons: list[Reason] = Field(max_length=3)
    summary: str


GOOD = {"reasons": [{"code": "price_terms", "evidence": "zu teuer"}], "summary": "Preis."}


def test_valid_reply_returns_object_usage_and_schema_in_prompt() -> None:
    usage_log.clear()
    model = FakeChatModel().enqueue(json.dumps(GOOD))
    result = generate_structured(model, "Analysiere den Anruf.", Analysis, purpose="test")
    assert result.value == Analysis.model_validate(GOOD)
    assert result.usage.model == "fake-chat"
    assert result.usage.completion_tokens > 0 and result.usage.prompt_tokens > 0
    assert result.usage.attempts == 1 and result.usage.latency_s >= 0
    assert usage_log.records()[-1] is result.usage
    (call,) = model.history
    assert isinstance(call.messages[0], SystemMessage)
    assert '"maxItems": 3' in call.messages[0].content  # the schema went into the prompt
    fmt = call.kwargs["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Analysis"


def test_existing_system_message_is_extended_not_replaced() -> None:
    model = FakeChatModel().enqueue(json.dumps(GOOD))
    generate_structured(model, [SystemMessage("Du bist Analyst."), HumanMessage("x")], Analysis)
    first = model.history[0].messages[0]
    assert first.content.startswith("Du bist Analyst.") and "JSON schema" in first.content
    assert len(model.history[0].messages) == 2


def test_reasks_with_validation_error_then_succeeds() -> None:
    bad = {"reasons": [{"code": "weather", "evidence": "x"}], "summary": "s"}
    model = FakeChatModel().enqueue(json.dumps(bad), "```json\n" + json.dumps(GOOD) + "\n```")
    result = generate_structured(model, "x", Analysis, max_retries=2)
    assert result.value.reasons[0].code == "price_terms"
    assert result.usage.attempts == 2
    second = model.history[1].messages
    assert "weather" in second[-2].content  # our bad answer was shown back
    assert "not valid for the schema" in second[-1].content and "code" in second[-1].content


def test_gives_up_after_bounded_retries_with_last_output() -> None:
    model = FakeChatModel().enqueue("not json", '{"reasons": []}', '{"summary": 1}')
    with pytest.raises(StructuredOutputError) as info:
        generate_structured(model, "x", Analysis, max_retries=2)
    assert info.value.last_output == '{"summary": 1}'
    assert len(model.history) == 3


def test_retries_default_comes_from_settings() -> None:
    configure(structured_max_retries=0)
    model = FakeChatModel().enqueue("nope", json.dumps(GOOD))
    with pytest.raises(StructuredOutputError):
        generate_structured(model, "x", Analysis)
    assert len(model.history) == 1


def test_backend_failure_is_model_error_and_not_re_asked() -> None:
    model = FakeChatModel()
    with pytest.raises(ModelError, match="no queued reply") as info:
        generate_structured(model, "x", Analysis, max_retries=2)
    assert not isinstance(info.value, StructuredOutputError)
    assert len(model.history) == 1


def test_an_endpoint_failure_ends_the_call_without_a_re_ask() -> None:
    usage_log.clear()
    model = FakeChatModel().enqueue(ModelEndpointError("endpoint down"), json.dumps(GOOD))
    with pytest.raises(ModelEndpointError, match="endpoint down"):
        generate_structured(model, "x", Analysis, max_retries=2, purpose="test")
    assert len(model.history) == 1
    (usage,) = usage_log.records()  # accounted once, also for a call that failed
    assert usage.purpose == "test" and usage.attempts == 1


def test_an_engine_error_ends_the_call_as_model_error() -> None:
    model = FakeChatModel().enqueue(ValueError("prompt exceeds the context window"), "{}")
    with pytest.raises(ModelError, match="context window") as info:
        generate_structured(model, "x", Analysis, max_retries=2)
    assert not isinstance(info.value, StructuredOutputError)
    assert len(model.history) == 1


def test_a_rejected_answer_is_asked_again_unchanged() -> None:
    refusal = ModelAnswerError("The chat model refused to answer: no")
    model = FakeChatModel().enqueue(refusal, json.dumps(GOOD))
    result = generate_structured(model, "x", Analysis, max_retries=1)
    assert result.usage.attempts == 2
    first, second = model.history
    assert second.messages == first.messages  # nothing to feed back


def test_rejected_answers_count_against_the_bound() -> None:
    model = FakeChatModel().enqueue(*[ModelAnswerError("cut off at the token limit")] * 3)
    with pytest.raises(StructuredOutputError, match="after 2 attempts.*token limit"):
        generate_structured(model, "x", Analysis, max_retries=1)
    assert len(model.history) == 2


def test_usage_is_summed_over_attempts_and_recorded_once() -> None:
    usage_log.clear()
    sink: list = []
    model = FakeChatModel().enqueue("not json", json.dumps(GOOD))
    result = generate_structured(model, "x", Analysis, max_retries=1, usages=sink)
    assert usage_log.records() == [result.usage] and sink == [result.usage]
    first = sum(len(str(m.content).split()) for m in model.history[0].messages)
    second = sum(len(str(m.content).split()) for m in model.history[1].messages)
    assert result.usage.prompt_tokens == first + second
    assert result.usage.completion_tokens == 2 + len(json.dumps(GOOD).split())


def test_a_failed_call_is_recorded_once_with_its_attempts() -> None:
    usage_log.clear()
    sink: list = []
    model = FakeChatModel().enqueue("a", "b", "c")
    with pytest.raises(StructuredOutputError):
        generate_structured(model, "x", Analysis, max_retries=2, usages=sink)
    assert usage_log.records() == sink and sink[0].attempts == 3
    assert sink[0].completion_tokens == 3


class Quote(BaseModel):
    quote: str

    @field_validator("quote")
    @classmethod
    def _said_in_the_call(cls, value: str, info: ValidationInfo) -> str:
        transcript = (info.context or {}).get("transcript", "")
        if value not in transcript:
            raise ValueError(f"{value!r} is not in the transcript")
        return value


def test_the_validation_context_reaches_validators_and_its_error_goes_back() -> None:
    model = FakeChatModel().enqueue('{"quote": "zu teuer"}', '{"quote": "zu langsam"}')
    result = generate_structured(
        model, "x", Quote, max_retries=1, context={"transcript": "Ihr seid zu langsam."}
    )
    assert result.value.quote == "zu langsam"
    assert "'zu teuer' is not in the transcript" in model.history[1].messages[-1].content


def test_the_schema_can_stay_out_of_the_prompt() -> None:
    model = FakeChatModel().enqueue(json.dumps(GOOD))
    messages = [SystemMessage("Analyst."), HumanMessage("x")]
    generate_structured(model, messages, Analysis, schema_in_prompt=False)
    (call,) = model.history
    assert call.messages == messages  # the shared prefix stays as it was
    assert call.kwargs["response_format"]["json_schema"]["name"] == "Analysis"


def test_bounded_schema_bounds_free_arrays_and_strings_only() -> None:
    schema = bounded_schema(
        {
            "type": "object",
            "properties": {
                "free": {"type": "array", "items": {"type": "string"}},
                "kept": {
                    "type": "array",
                    "maxItems": 2,
                    "items": {"type": "string", "maxLength": 5},
                },
                "label": {"type": "string", "enum": ["a", "b"]},
                "day": {"type": "string", "format": "date"},
            },
        },
        max_items=4,
        max_length=50,
    )
    props = schema["properties"]
    assert props["free"]["maxItems"] == 4 and props["free"]["items"]["maxLength"] == 50
    assert props["kept"]["maxItems"] == 2 and props["kept"]["items"]["maxLength"] == 5
    assert "maxLength" not in props["label"] and "maxLength" not in props["day"]


def test_response_format_variants() -> None:
    schema = {"type": "object"}
    model = FakeChatModel()
    settings = configure(openai_response_format="json_object_schema")
    assert response_format_for(model, "X", schema, settings) == {
        "type": "json_object",
        "schema": schema,
    }
    settings = configure(openai_response_format="json_object")
    assert response_format_for(model, "X", schema, settings) == {"type": "json_object"}


def test_parse_json_object_tolerates_prose() -> None:
    assert parse_json_object('Here: {"a": 1} done') == {"a": 1}
    with pytest.raises(json.JSONDecodeError):
        parse_json_object("no json here")
