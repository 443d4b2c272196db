"""A look-ahead true-peak limiter in numpy: the signal's own future sets its gain, so it is exact and repeatable."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d

from render.audio.levels import RATE

ATTACK = 1200.0  # dB a second the gain may fall ahead of a peak: 6 dB in 5 ms
RELEASE = 60.0  # dB a second it recovers after one: 6 dB in 100 ms
SMOOTH = 48  # samples (1 ms) each side over which the gain's corners are rounded (a Hann window)


def limiter_gain(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """The gain (linear, per sample, 1 where untouched) that keeps every true peak at or under ``ceiling`` dBTP.

    ``peaks`` is each sample's true peak (``levels.peaks``). Each sample needs the gain that puts its peak at
    the ceiling. The gain, in dB, falls towards a peak at ``ATTACK`` ahead of it and recovers at ``RELEASE``
    after it, both linear in dB; then it is held over ``SMOOTH`` samples each side and smoothed by a Hann window
    as wide, so it stays at or under what every sample needs and never changes by more than ``ATTACK / RATE``
    dB from one sample to the next (no clicks). The gain moves so little over the oversampling filter's span
    that the peaks scale with it.
    """
    with np.errstate(divide="ignore"):
        needed = np.minimum(0.0, ceiling - 20.0 * np.log10(peaks))
    if len(needed) == 0 or needed.min() == 0.0:
        return np.ones(len(needed))
    index = np.arange(len(needed), dtype=np.float64)
    fall, rise = ATTACK / RATE, RELEASE / RATE
    # min over later samples j of needed[j] + fall * (j - n), then over earlier ones of that + rise * (n - j)
    ahead = np.minimum.accumulate((needed + fall * index)[::-1])[::-1] - fall * index
    released = np.minimum.accumulate(ahead - rise * index) + rise * index
    held = minimum_filter1d(released, 2 * SMOOTH + 1, mode="nearest")
    window = np.hanning(2 * SMOOTH + 3)[1:-1]
    smoothed = np.convolve(np.pad(held, SMOOTH, mode="edge"), window / window.sum(), mode="valid")
    gain: np.ndarray = 10.0 ** (np.minimum(smoothed, 0.0) / 20.0)
    return gain
