"""Waveform envelope and picture: what the user sees must follow the audio's amplitude."""

import io

import numpy as np
import pytest
from PIL import Image

from audioservices.audio.waveform import HEIGHT, envelope, render_png
from tests import signals


def ink_rows(png: bytes) -> np.ndarray:
    """How many pixels are drawn in each column."""
    image = Image.open(io.BytesIO(png))
    return (np.asarray(image)[:, :, 3] > 0).sum(axis=0)


def test_envelope_holds_each_columns_extremes_over_all_channels():
    audio = np.zeros((2, 1000), dtype=np.float32)
    audio[0, 105] = 0.5  # column 10 of 100
    audio[1, 107] = -0.25
    audio[1, 999] = 0.75  # the last column
    bounds = envelope(audio, columns=100)
    assert bounds.shape == (2, 100)
    assert (bounds[0, 10], bounds[1, 10]) == (-0.25, 0.5)
    assert bounds[1, 99] == 0.75
    assert np.count_nonzero(bounds) == 3


def test_envelope_folds_the_remainder_into_the_last_column_and_handles_short_audio():
    audio = np.zeros((1, 1005), dtype=np.float32)
    audio[0, 1003] = 0.9
    assert envelope(audio, columns=100)[1, -1] == pytest.approx(0.9)
    assert envelope(audio[:, :10], columns=800).shape == (2, 10)


def test_picture_height_follows_amplitude():
    loud = signals.tone(1.0, channels=2, amplitude=0.8)
    quiet = loud * 0.2
    loud_rows = ink_rows(render_png(envelope(loud)))
    quiet_rows = ink_rows(render_png(envelope(quiet)))
    assert loud_rows.mean() == pytest.approx(0.8 * HEIGHT, rel=0.05)
    assert quiet_rows.mean() == pytest.approx(0.16 * HEIGHT, rel=0.2)


def test_silence_is_a_centre_line_of_the_requested_size():
    png = render_png(envelope(np.zeros((1, 44100), dtype=np.float32)))
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (800, HEIGHT))
    assert set(ink_rows(png)) <= {1, 2}  # a thin line through the middle of every column
