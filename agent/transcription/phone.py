"""Telephone-band simulation: make clean recordings sound like a G.711 phone call.

Phone systems carry 300-3400 Hz at 8 kHz, usually as 8-bit mu-law (G.711).
Benchmarks and tests use this to measure Whisper on audio closer to what
reps upload than studio speech or a synthetic voice: a band-pass filter,
resampling to 8 kHz, and mu-law companding (quantisation noise that grows
with loudness, as on a real line).
"""

from __future__ import annotations

import numpy as np

PHONE_RATE = 8_000
PHONE_BAND_HZ = (300.0, 3400.0)
_MU = 255.0


def mu_law(audio: np.ndarray) -> np.ndarray:
    """Quantise to 8-bit mu-law and back, as a G.711 line does (values in -1..1)."""
    x = np.clip(audio, -1.0, 1.0)
    encoded = np.sign(x) * np.log1p(_MU * np.abs(x)) / np.log1p(_MU)
    quantised = np.round((encoded + 1.0) * 127.5) / 127.5 - 1.0
    return np.asarray(np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(_MU)) / _MU)


def phone_band(audio: np.ndarray, sample_rate: int, *, companding: bool = True) -> np.ndarray:
    """``audio`` (mono float) band-limited to 300-3400 Hz at 8 kHz, optionally mu-law coded."""
    from scipy.signal import butter, resample_poly, sosfiltfilt

    x = np.asarray(audio, dtype=np.float64)
    if sample_rate != PHONE_RATE:
        divisor = np.gcd(int(sample_rate), PHONE_RATE)
        x = resample_poly(x, PHONE_RATE // divisor, int(sample_rate) // divisor)
    sos = butter(6, PHONE_BAND_HZ, btype="bandpass", fs=PHONE_RATE, output="sos")
    x = sosfiltfilt(sos, x)
    if companding:
        x = mu_law(x)
    return x.astype(np.float32)
