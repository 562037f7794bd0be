"""Audio probing by content: good files pass, every kind of bad file is refused."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from agent.audio import normalise_audio, probe_audio
from agent.errors import MediaError, PayloadTooLargeError
from tests.calls import media

LIMIT = 3600.0


def test_wav_mp3_and_stereo_flac_are_described(tmp_path: Path) -> None:
    wav = probe_audio(media.tone_wav(tmp_path / "a.wav", 2.0), max_duration_s=LIMIT)
    assert (wav.container, wav.codec, wav.channels, wav.sample_rate) == (
        "wav", "pcm_s16le", 1, 16_000,
    )  # fmt: skip
    assert wav.duration_s == pytest.approx(2.0, abs=0.01)
    mp3 = probe_audio(media.tone_mp3(tmp_path / "a.mp3", 10.0), max_duration_s=LIMIT)
    assert mp3.container == "mp3" and mp3.duration_s == pytest.approx(10.0, abs=0.1)
    stereo = media.write_audio(
        tmp_path / "s.flac", media.tone(3.0, channels=2), fmt="flac", codec="flac"
    )
    info = probe_audio(stereo, max_duration_s=LIMIT)
    assert (info.container, info.channels) == ("flac", 2)


def test_name_does_not_matter(tmp_path: Path) -> None:
    wav = media.tone_wav(tmp_path / "a.wav", 1.0)
    renamed = wav.rename(tmp_path / "recording.mp3")
    assert probe_audio(renamed, max_duration_s=LIMIT).container == "wav"


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe_audio(empty, max_duration_s=LIMIT)


def test_truncated_mp3(tmp_path: Path) -> None:
    source = media.tone_mp3(tmp_path / "a.mp3", 10.0)
    cut = media.truncated(source, tmp_path / "cut.mp3")
    with pytest.raises(MediaError, match="truncated"):
        probe_audio(cut, max_duration_s=LIMIT)


def test_wav_with_a_lying_header(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="header claims"):
        probe_audio(media.lying_wav(tmp_path / "lie.wav"), max_duration_s=LIMIT)


@pytest.mark.parametrize("maker", [media.text_as_mp3, media.html_as_mp3, media.zip_as_mp3])
def test_non_audio_named_mp3(tmp_path: Path, maker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MediaError, match="not a readable audio file"):
        probe_audio(maker(tmp_path / "song.mp3"), max_duration_s=LIMIT)


def test_tiny_wav_claiming_hours(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        probe_audio(media.tiny_wav_claiming_hours(tmp_path / "h.wav"), max_duration_s=LIMIT)


def test_tiny_mp3_claiming_hours_is_refused_before_decoding(tmp_path: Path) -> None:
    source = media.tone_mp3(tmp_path / "a.mp3", 10.0)
    liar = media.tiny_mp3_claiming_hours(source, tmp_path / "h.mp3")
    assert liar.stat().st_size <= 4000
    with pytest.raises(PayloadTooLargeError, match="claims"):
        probe_audio(liar, max_duration_s=LIMIT)


def test_real_duration_over_the_limit(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLargeError):
        probe_audio(media.tone_wav(tmp_path / "a.wav", 5.0), max_duration_s=3.0)


def test_playlists_cannot_pull_in_other_files(tmp_path: Path) -> None:
    secret = media.tone_wav(tmp_path / "secret.wav", 1.0)
    playlist = tmp_path / "call.mp3"
    playlist.write_text(f"ffconcat version 1.0\nfile '{secret}'\n", encoding="utf-8")
    with pytest.raises(MediaError):
        probe_audio(playlist, max_duration_s=LIMIT)
    m3u = tmp_path / "call2.mp3"
    m3u.write_text(f"#EXTM3U\n#EXTINF:1,\nfile://{secret}\n", encoding="utf-8")
    with pytest.raises(MediaError):
        probe_audio(m3u, max_duration_s=LIMIT)


def test_normalise_keeps_two_channels_at_16k(tmp_path: Path) -> None:
    stereo = media.write_audio(
        tmp_path / "s.flac", media.tone(2.0, rate=44_100, channels=2), rate=44_100,
        fmt="flac", codec="flac",
    )  # fmt: skip
    out = tmp_path / "out" / "n.wav"
    seconds = normalise_audio(stereo, out, channels=2)
    assert seconds == pytest.approx(2.0, abs=0.05)
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 16_000, 2)
    mono = normalise_audio(stereo, tmp_path / "m.wav", channels=1)
    assert mono == pytest.approx(2.0, abs=0.05)
    assert not list((tmp_path / "out").glob(".*part"))  # no temp file left
