"""Level measures shared by the mix and QC: integrated loudness, true peak and RMS of float (n, 2) samples, 48 kHz."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

RATE = 48000
OVERSAMPLE = 4  # true peak per ITU BS.1770-4 annex 2: 4x oversampled at 48 kHz
SILENT = -math.inf


def integrated_loudness(samples: np.ndarray) -> float:
    """Integrated loudness in LUFS (ITU BS.1770-4, gated, pyloudnorm); -inf for silence or under one 400 ms block."""
    if len(samples) < 0.4 * RATE:
        return SILENT
    return float(pyloudnorm.Meter(RATE).integrated_loudness(samples.astype(np.float64)))


def peaks(samples: np.ndarray) -> np.ndarray:
    """Each sample's true peak: the largest magnitude of the 4x-oversampled signal from it to the next, any channel."""
    oversampled = resample_poly(samples, OVERSAMPLE, 1, axis=0)
    frames = np.abs(oversampled).reshape(len(samples), -1)
    result: np.ndarray = frames.max(axis=1)
    return result


def true_peak(samples: np.ndarray) -> float:
    """True peak in dBTP: 4x oversampled (polyphase FIR, scipy's resample_poly); -inf for silence."""
    return decibels(float(peaks(samples).max(initial=0.0)))


def rms(samples: np.ndarray) -> float:
    """RMS level in dBFS over all channels, re a sample of 1.0 (a full-scale sine reads -3.01); -inf for silence."""
    if samples.size == 0:
        return SILENT
    return decibels(math.sqrt(float(np.mean(np.square(samples, dtype=np.float64)))))


def decibels(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else SILENT


def amplitude(decibel: float) -> float:
    return float(10.0 ** (decibel / 20.0))
