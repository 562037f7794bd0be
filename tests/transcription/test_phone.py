"""The telephone-band simulation: 8 kHz, nothing outside 300-3400 Hz, mu-law noise."""

from __future__ import annotations

import numpy as np

from agent.transcription.phone import PHONE_RATE, mu_law, phone_band


def tone(freq: float, rate: int = 16_000, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(
        np.float32
    )


def energy(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def test_output_is_eight_kilohertz() -> None:
    out = phone_band(tone(1000.0), 16_000)
    assert len(out) == PHONE_RATE
    assert out.dtype == np.float32


def test_speech_band_passes_and_outside_is_cut() -> None:
    inside = energy(phone_band(tone(1000.0), 16_000, companding=False))
    assert inside > 0.9 * energy(tone(1000.0))
    assert energy(phone_band(tone(100.0), 16_000, companding=False)) < 0.05 * inside
    # 5 kHz cannot pass an 8 kHz line at all.
    assert energy(phone_band(tone(5000.0), 16_000, companding=False)) < 0.001 * inside


def test_mu_law_keeps_the_signal_with_bounded_quantisation_error() -> None:
    x = np.linspace(-1.0, 1.0, 2001)
    y = mu_law(x)
    assert np.max(np.abs(y - x)) < 0.04  # coarse steps only near full scale
    assert np.max(np.abs(y[np.abs(x) < 0.01] - x[np.abs(x) < 0.01])) < 0.001  # fine when quiet
    assert not np.array_equal(y, x)
