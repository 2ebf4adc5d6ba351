"""The byte stream → frames splitter of /stream-audio."""

import numpy as np
import pytest

from mixer.framing import FRAME_BYTES, FrameSplitter, TrailingBytes
from tests.mixer.conftest import frames


def test_frames_come_out_whole_whatever_the_chunk_sizes():
    x = frames(3, seed=7)
    data = x.astype("<f4").tobytes()
    splitter, out = FrameSplitter(), []
    for start in range(0, len(data), 1001):  # chunks that cut frames and samples
        out.extend(splitter.feed(data[start:start + 1001]))
    assert splitter.finish() is None
    np.testing.assert_array_equal(np.array(out), x)
    assert all(frame.dtype == np.float32 and frame.flags.c_contiguous for frame in out)


def test_the_tail_is_zero_padded_and_its_length_reported():
    x = frames(2, seed=8).ravel()[:1000]
    splitter = FrameSplitter()
    [first] = splitter.feed(x.astype("<f4").tobytes())
    frame, real = splitter.finish()
    assert real == 40
    np.testing.assert_array_equal(frame[:40], x[960:])
    assert not frame[40:].any()
    np.testing.assert_array_equal(first, x[:960])


def test_keeps_at_most_one_unfinished_frame():
    splitter = FrameSplitter()
    for _ in range(50):
        splitter.feed(b"\x00" * (FRAME_BYTES - 4))
    assert len(splitter._pending) < FRAME_BYTES


def test_a_cut_sample_is_refused():
    splitter = FrameSplitter()
    splitter.feed(b"\x00" * 6)
    with pytest.raises(TrailingBytes, match="not a multiple of 4"):
        splitter.finish()
