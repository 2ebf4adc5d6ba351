"""The limiter's numba kernels against the numpy/scipy expressions they replace."""

import numpy as np
import pytest
from scipy.ndimage import minimum_filter1d

from audioservices.audio.limiter import _moving_average, _window_minimum


@pytest.mark.parametrize("length", [2, 7, 220, 221])
@pytest.mark.parametrize("size", [221, 1000, 4099])
def test_window_minimum_is_a_sliding_minimum(length, size):
    values = np.random.default_rng(length * size).uniform(0.1, 1.0, size)
    expected = np.array([values[m : m + length].min() for m in range(size - length + 1)])
    np.testing.assert_array_equal(_window_minimum(values, length), expected)
    centred = minimum_filter1d(values, size=length, mode="nearest")
    np.testing.assert_array_equal(expected, centred[length // 2 : length // 2 + expected.size])


def test_moving_average_equals_the_cumsum_form():
    rng = np.random.default_rng(5)
    history, released, length = rng.uniform(0, 1, 219), rng.uniform(0, 1, 5000), 220
    window = np.concatenate([history, released])
    sums = np.cumsum(np.concatenate([[0.0], window]))
    np.testing.assert_array_equal(_moving_average(history, released, length),
                                  (sums[length:] - sums[:-length]) / length)
