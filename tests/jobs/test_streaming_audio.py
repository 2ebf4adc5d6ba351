"""The streaming facility of the job machinery: audio in temporary files, decoded into and
encoded from block by block, with the same results as the in-memory functions."""

from pathlib import Path

import numpy as np
import pytest

from audioservices.audio import io, waveform
from audioservices.audio.blocks import ArrayBlocks, ArrayWriter, Difference, RawAudio
from audioservices.audio.errors import InvalidAudio
from audioservices.audio.validate import probe
from tests import signals
from tests.helpers import descriptors_into

FORMATS = [("wav", 44100, 2), ("flac", 22050, 1), ("mp3", 44100, 2), ("m4a", 48000, 1)]


def noise(channels: int, frames: int, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.3 * rng.standard_normal((channels, frames))).astype(np.float32)


def raw_of(audio: np.ndarray, *, directory: Path | None = None, block_frames: int = 1000):
    raw = RawAudio(channels=audio.shape[0], directory=directory, block_frames=block_frames)
    for start in range(0, audio.shape[1], 777):  # blocks that do not line up with the reads
        raw.append(audio[:, start : start + 777])
    return raw




def test_raw_audio_reads_back_what_was_appended():
    audio = noise(3, 10_000)
    with raw_of(audio) as raw:
        assert (raw.channels, raw.frames) == (3, 10_000)
        np.testing.assert_array_equal(raw.read(1234, 5678), audio[:, 1234:5678])
        np.testing.assert_array_equal(raw.read(9_990, 20_000), audio[:, 9_990:])
        # Each block is a view of one reused buffer: copied here to keep them all.
        blocks = [block.copy() for block in raw.blocks()]
        np.testing.assert_array_equal(np.concatenate(blocks, axis=1), audio)


def test_raw_audio_refuses_a_block_of_other_channels():
    with RawAudio(channels=2) as raw, pytest.raises(ValueError, match="channels"):
        raw.append(np.zeros((1, 10), dtype=np.float32))


def test_raw_audio_has_no_name_and_closing_frees_it(tmp_path):
    # No directory entry at any time: nothing to clean up after an error or a killed worker.
    with raw_of(noise(2, 5000), directory=tmp_path) as raw:
        assert list(tmp_path.iterdir()) == []
        assert len(descriptors_into(tmp_path)) == 1
        assert raw.frames == 5000
    assert descriptors_into(tmp_path) == []


def test_difference_is_blockwise_minuend_minus_subtrahend():
    mix, vocals = noise(2, 4321, seed=1), noise(2, 4321, seed=2)
    with raw_of(mix) as minuend, raw_of(vocals) as subtrahend:
        blocks = [block.copy() for block in Difference(minuend, subtrahend).blocks()]
        difference = np.concatenate(blocks, axis=1)
        np.testing.assert_array_equal(difference, mix - vocals)
        np.testing.assert_allclose(difference + vocals, mix, atol=1e-6)


def test_array_writer_fills_in_order():
    audio = noise(2, 1000)
    out = np.zeros_like(audio)
    writer = ArrayWriter(out)
    for block in ArrayBlocks(audio, block_frames=300).blocks():
        writer.append(block)
    np.testing.assert_array_equal(out, audio)


@pytest.mark.parametrize(("fmt", "rate", "channels"), FORMATS)
def test_decode_into_a_raw_file_equals_decode(tmp_path, fmt, rate, channels):
    audio = signals.tone(2.5, sample_rate=rate, channels=channels, amplitude=0.3)
    path = tmp_path / f"in.{fmt}"
    path.write_bytes(signals.encoded(audio, sample_rate=rate, fmt=fmt, tmp_path=tmp_path))
    info = probe(path, max_duration_s=60)
    whole = io.decode(path, info=info, max_duration_s=60)
    with RawAudio(channels=channels, directory=tmp_path) as raw:
        io.decode_into(path, raw, info=info, max_duration_s=60)
        np.testing.assert_array_equal(raw.read(0, raw.frames), whole)


@pytest.mark.parametrize(("fmt", "rate", "channels"), FORMATS)
def test_encoding_from_a_raw_file_equals_encoding_the_array(tmp_path, fmt, rate, channels):
    audio = signals.tone(2.5, sample_rate=rate, channels=channels, amplitude=0.3)
    io.encode(tmp_path / f"array.{fmt}", audio, sample_rate=rate, fmt=fmt)
    with raw_of(audio, block_frames=4096) as raw:
        io.encode_blocks(tmp_path / f"raw.{fmt}", raw, sample_rate=rate, fmt=fmt)
    decoded = {}
    for name in ("array", "raw"):
        path = tmp_path / f"{name}.{fmt}"
        info = probe(path, max_duration_s=60)
        assert (info.format, info.sample_rate, info.channels) == (fmt, rate, channels)
        decoded[name] = io.decode(path, info=info, max_duration_s=60)
    np.testing.assert_allclose(decoded["raw"], decoded["array"], atol=1e-4)
    assert not list(tmp_path.glob("*.part"))


def test_decode_blocks_refuse_non_finite_samples(tmp_path):
    import soundfile as sf

    audio = np.zeros((1, 1000), dtype=np.float32)
    audio[0, 500] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(str(path), audio.T, 44100, subtype="FLOAT")
    info = probe(path, max_duration_s=60)
    with RawAudio(channels=1) as raw, pytest.raises(InvalidAudio, match="NaN"):
        io.decode_into(path, raw, info=info, max_duration_s=60)


def reference_envelope(audio: np.ndarray, columns: int) -> np.ndarray:
    """Column by column, the obvious way."""
    columns = min(columns, audio.shape[1])
    per_column = audio.shape[1] // columns
    stops = [(c + 1) * per_column for c in range(columns - 1)] + [audio.shape[1]]
    starts = [c * per_column for c in range(columns)]
    return np.array(
        [
            [audio[:, a:b].min() for a, b in zip(starts, stops, strict=True)],
            [audio[:, a:b].max() for a, b in zip(starts, stops, strict=True)],
        ]
    )


@pytest.mark.parametrize("frames", [3, 799, 800, 1601, 100_003])
def test_the_envelope_in_blocks_equals_the_whole(frames):
    audio = noise(2, frames)
    expected = reference_envelope(audio, waveform.WIDTH)
    builder = waveform.EnvelopeBuilder(frames)
    for block in ArrayBlocks(audio, block_frames=1013).blocks():
        builder.add(block)
    np.testing.assert_array_equal(builder.result(), expected)
    np.testing.assert_array_equal(waveform.envelope(audio), expected)
