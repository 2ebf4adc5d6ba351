"""The engine with a real (small, random) HTDemucs loaded by demucs's own loader."""

import itertools

import numpy as np
import pytest
import torch
from demucs.apply import apply_model

from audioservices.audio.blocks import Difference, RawAudio
from tests import signals
from vocal import engine
from vocal.segments import apply_batched


def music(seconds: float, *, sample_rate: int, channels: int) -> np.ndarray:
    speech = signals.speech(sample_rate)
    tone = signals.tone(seconds, sample_rate=sample_rate, channels=channels)
    voice = np.resize(speech, tone.shape[1])
    return (tone + 0.3 * voice).astype(np.float32)


@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (22050, 1), (48000, 3)])
def test_vocals_plus_instrumental_is_the_input(tiny_model, rate, channels):
    mix = music(4.0, sample_rate=rate, channels=channels)
    original = mix.copy()
    vocals, instrumental = engine.separate(
        mix, sample_rate=rate, model=tiny_model, window_s=2.0, overlap_s=0.5
    )
    assert vocals.shape == instrumental.shape == original.shape
    assert vocals.dtype == instrumental.dtype == np.float32
    np.testing.assert_allclose(vocals + instrumental, original, atol=1e-6)
    # The model did something: the vocals are neither silence nor the mix itself.
    assert np.sqrt(np.mean(vocals**2)) > 1e-4
    assert not np.allclose(vocals, original, atol=1e-3)


def test_progress_rises_to_one(tiny_model):
    seen: list[float] = []
    engine.separate(
        music(5.0, sample_rate=44100, channels=2),
        sample_rate=44100,
        model=tiny_model,
        progress=seen.append,
        window_s=2.0,
        overlap_s=0.5,
    )
    assert len(seen) > 3
    assert all(later > earlier for earlier, later in itertools.pairwise(seen))
    assert seen[-1] == 1.0


def test_one_window_and_many_windows_agree_away_from_the_seams(tiny_model):
    mix = music(6.0, sample_rate=44100, channels=2)
    whole, _ = engine.separate(mix.copy(), sample_rate=44100, model=tiny_model, window_s=60)
    windowed, _ = engine.separate(
        mix.copy(), sample_rate=44100, model=tiny_model, window_s=4.0, overlap_s=1.0
    )
    # Both normalise the same way; the first window's first 2 s see the same segments.
    head = slice(0, 44100)
    np.testing.assert_allclose(windowed[:, head], whole[:, head], atol=1e-4)


def test_window_bounds_cover_the_file_with_the_overlap():
    bounds = engine.window_bounds(100, window=40, overlap=10)
    assert bounds == [(0, 40), (30, 70), (60, 100)]
    assert engine.window_bounds(25, window=40, overlap=10) == [(0, 25)]


def test_crossfades_of_neighbours_sum_to_one():
    first = engine.crossfade(40, fade_in=0, fade_out=10)
    second = engine.crossfade(40, fade_in=10, fade_out=0)
    np.testing.assert_allclose(first[30:] + second[:10], 1.0, atol=1e-7)
    assert first[0] == second[-1] == 1.0


def test_channels_go_to_the_model_in_pairs():
    assert engine.channel_pairs(1) == [[0]]
    assert engine.channel_pairs(2) == [[0, 1]]
    assert engine.channel_pairs(5) == [[0, 1], [2, 3], [4]]


def test_batched_segments_equal_demucs_own_split(tiny_model):
    mix = torch.from_numpy(music(3.3, sample_rate=44100, channels=2))
    with torch.inference_mode():
        reference = apply_model(tiny_model, mix[None], shifts=0, split=True, overlap=0.25)[0]
    batched = apply_batched(tiny_model, mix, device=torch.device("cpu"), batch=3)
    torch.testing.assert_close(batched, reference, atol=1e-6, rtol=1e-5)


def test_bad_audio_is_refused_before_the_model(tiny_model):
    from audioservices.audio.errors import InvalidAudio

    with pytest.raises(InvalidAudio):
        engine.separate(
            np.full((2, 100), np.nan, dtype=np.float32), sample_rate=44100, model=tiny_model
        )


def test_windows_must_be_longer_than_both_overlaps(tiny_model):
    with pytest.raises(ValueError, match="cannot overlap"):
        engine.separate(
            np.zeros((2, 44100), dtype=np.float32),
            sample_rate=44100,
            model=tiny_model,
            window_s=2.0,
            overlap_s=1.0,
        )


@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (48000, 3)])
def test_streamed_windows_give_the_in_memory_vocals(tmp_path, tiny_model, rate, channels):
    """The job's path: input read window by window from a temporary file, vocals appended to
    another, instrumental = input - vocals block by block; five windows of 2 s here."""
    mix = music(7.0, sample_rate=rate, channels=channels)
    in_memory, _ = engine.separate(
        mix.copy(), sample_rate=rate, model=tiny_model, window_s=2.0, overlap_s=0.5
    )
    with (
        RawAudio(channels=channels, directory=tmp_path, block_frames=30_000) as source,
        RawAudio(channels=channels, directory=tmp_path, block_frames=30_000) as vocals,
    ):
        for start in range(0, mix.shape[1], 44_000):
            source.append(mix[:, start : start + 44_000])
        engine.separate_into(
            source=source,
            vocals=vocals,
            sample_rate=rate,
            model=tiny_model,
            window_s=2.0,
            overlap_s=0.5,
        )
        assert vocals.frames == mix.shape[1]
        streamed = vocals.read(0, vocals.frames).copy()
        instrumental = np.concatenate(
            [block.copy() for block in Difference(source, vocals).blocks()], axis=1
        )
    assert len(engine.window_bounds(mix.shape[1], window=2 * rate, overlap=rate // 2)) == 5
    np.testing.assert_allclose(streamed, in_memory, atol=1e-6)
    np.testing.assert_allclose(streamed + instrumental, mix, atol=1e-6)
    assert np.sqrt(np.mean(streamed**2)) > 1e-4
