"""The OpenAI transcriber against a fake HTTP transport (the real openai client, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from agent.errors import ConfigError, ModelError
from agent.settings import configure
from agent.transcription import get_transcriber
from agent.transcription.openai_api import OpenAITranscriber
from tests.transcription.test_audio import tone, write_wav

pytest.importorskip("faster_whisper", reason="faster-whisper not installed")


def fake_api(requests: list[httpx.Request], status: int = 200):
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "boom"}})
        n = len(requests)
        body = {
            "language": "german",
            "duration": 1.0,
            "text": f"Kanal {n}",
            "segments": [
                {
                    "id": 0,
                    "start": 0.1 * n,
                    "end": 0.9,
                    "text": f" Kanal {n}",
                    "avg_logprob": -0.2,
                    "no_speech_prob": 0.01,
                    "seek": 0,
                    "tokens": [],
                    "temperature": 0.0,
                    "compression_ratio": 1.0,
                }
            ],
        }
        return httpx.Response(200, json=body)

    return handler


def client_with(handler) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_two_channels_sent_separately_and_labelled(tmp_path: Path) -> None:
    settings = configure(
        openai_api_key="sk-test", openai_transcription_model="whisper-1", openai_max_retries=0
    )
    path = write_wav(tmp_path / "call.wav", [tone(1.0, 300), tone(1.0, 500)])
    requests: list[httpx.Request] = []
    tr = OpenAITranscriber(settings, client=client_with(fake_api(requests)))
    result = tr.transcribe(path, language="de", channels="customer,rep", vocabulary=["Wendler"])
    assert len(requests) == 2
    body = requests[0].content
    assert b'name="model"' in body and b"whisper-1" in body and b"verbose_json" in body
    assert b"Wendler" in body and b'name="language"' in body and b"RIFF" in body
    assert [(s.speaker, s.text) for s in result.segments] == [
        ("customer", "Kanal 1"),
        ("rep", "Kanal 2"),
    ]
    assert result.language == "de" and result.model == "openai:whisper-1"
    assert result.duration_s == pytest.approx(1.0)


def test_api_error_becomes_model_error(tmp_path: Path) -> None:
    settings = configure(openai_api_key="sk-test", openai_max_retries=0)
    path = write_wav(tmp_path / "call.wav", [tone(0.5, 300)])
    tr = OpenAITranscriber(settings, client=client_with(fake_api([], status=500)))
    with pytest.raises(ModelError, match="Transcription request failed"):
        tr.transcribe(path)


def test_registry_and_config_errors() -> None:
    assert get_transcriber(configure(transcriber_backend="fake")).name == "fake"
    assert get_transcriber(configure(transcriber_backend="local")).name == "local"
    with pytest.raises(ConfigError, match="WINBACK_OPENAI_API_KEY"):
        get_transcriber(configure(transcriber_backend="openai"))
    with pytest.raises(ConfigError, match="LOCAL_ONLY"):
        get_transcriber(
            configure(transcriber_backend="openai", openai_api_key="k", local_only=True)
        )


def test_fake_transcriber_records_and_replays(tmp_path: Path) -> None:
    from agent.testing import FakeTranscriber
    from agent.transcription import Segment, TranscriptionResult

    fake = FakeTranscriber(text="Hallo")
    queued = TranscriptionResult("en", 1.0, [Segment(0, 1, "queued")], model="fake")
    fake.enqueue(queued)
    assert fake.transcribe(tmp_path / "a.wav") is queued
    second = fake.transcribe(tmp_path / "b.wav", channels="rep,customer", language="de")
    assert second.segments[0].speaker == "rep" and second.text == "Hallo"
    assert [c["path"].name for c in fake.calls] == ["a.wav", "b.wav"]
    assert json.loads(json.dumps(second.to_dict()))["text"] == "Hallo"
