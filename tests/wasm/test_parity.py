"""The wasm module (under wasmtime) against the numba chain in mixer/dsp.py: same samples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mixer import dsp
from mixer.dsp import ChainSettings
from mixer.presets import GENRES, preset_for
from mixer.wasm_chain import WasmChain
from tests import signals

FS, N = dsp.SAMPLE_RATE, dsp.FRAME_SIZE
TOLERANCE = 1e-4  # the bar; in practice the two agree bit for bit


@pytest.fixture(scope="module")
def recordings() -> dict[str, np.ndarray]:
    """Six seconds each (300 frames): noisy speech with pauses (gate), hot music (limiter)."""
    n = 300 * N
    speech = np.tile(signals.speech(FS), 3)[:n]
    noisy = signals.mix_at_snr(speech, signals.noise(FS, n), 20.0)
    music = (
        np.tile(signals.load_mono(signals.HOT_MUSIC, FS), 3)[:n]
        if signals.HOT_MUSIC.exists()
        else signals.speech(FS)[:n]
    )
    music = (music / np.abs(music).max()).astype(np.float32)  # full scale: the limiter works
    return {"noisy speech": noisy.astype(np.float32), "music": music}


def run_both(x: np.ndarray, settings: ChainSettings, frame: int = N) -> tuple:
    """Frame by frame with carried state through both chains: outputs and per-frame meters."""
    state, chain = dsp.new_state(), WasmChain()
    chain.configure(settings)
    numba_out, wasm_out = [], []
    for start in range(0, x.size, frame):
        numba_out.append(dsp.process(x[start : start + frame], settings=settings, state=state))
        wasm_out.append(chain.process(x[start : start + frame]))
    return numba_out, wasm_out


def assert_same(numba_out: list, wasm_out: list) -> None:
    expected = np.concatenate([r.samples for r in numba_out])
    actual = np.concatenate([r.samples for r in wasm_out])
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)
    meters = np.array([r[1:] for r in numba_out]), np.array([r[1:] for r in wasm_out])
    np.testing.assert_allclose(meters[1], meters[0], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("genre", GENRES)
@pytest.mark.parametrize("recording", ["noisy speech", "music"])
def test_every_preset_matches_over_300_frames(recordings, genre, recording):
    x = recordings[recording]
    numba_out, wasm_out = run_both(x, preset_for(genre))
    assert_same(numba_out, wasm_out)
    output = np.concatenate([r.samples for r in wasm_out])
    assert not np.allclose(output[dsp.LATENCY_SAMPLES :], x[: -dsp.LATENCY_SAMPLES], atol=1e-3)


def random_settings(rng: np.random.Generator, section: type = ChainSettings) -> object:
    """Any valid settings, drawn from the declared ranges (bypass off)."""
    values = {}
    for spec in dataclasses.fields(section):
        if "range" in spec.metadata:
            values[spec.name] = float(rng.uniform(*spec.metadata["range"]))
        elif isinstance(spec.default, bool):
            values[spec.name] = bool(rng.integers(2)) if spec.name != "bypass" else False
        else:
            values[spec.name] = random_settings(rng, type(spec.default_factory()))
    return section(**values)


@pytest.mark.parametrize("seed", range(8))
def test_random_settings_match(recordings, seed):
    rng = np.random.default_rng(seed)
    settings = random_settings(rng)
    x = recordings["noisy speech" if seed % 2 else "music"][: 100 * N]
    assert_same(*run_both(x, settings))


@pytest.mark.parametrize("frame", [1, 128, 441, 4096])
def test_any_frame_length_matches(recordings, frame):
    x = recordings["music"][: 40 * N if frame > 1 else 2 * N]  # 1920 calls already for 1
    assert_same(*run_both(x, preset_for("rock"), frame=frame))


def test_settings_change_mid_stream_keeps_state_on_both(recordings):
    x = recordings["noisy speech"][: 60 * N]
    state, chain = dsp.new_state(), WasmChain()
    numba_out, wasm_out = [], []
    for i, start in enumerate(range(0, x.size, N)):
        settings = preset_for(GENRES[(i // 10) % len(GENRES)])
        if i % 10 == 5:
            settings = dataclasses.replace(settings, bypass=True)  # state untouched on both
        chain.configure(settings)
        numba_out.append(dsp.process(x[start : start + N], settings=settings, state=state))
        wasm_out.append(chain.process(x[start : start + N]))
    assert_same(numba_out, wasm_out)


def test_other_sample_rate_matches(recordings):
    x = recordings["music"][: 40 * 882]
    state, chain = dsp.new_state(sample_rate=44100), WasmChain(sample_rate=44100)
    settings = preset_for("electronic")
    chain.configure(settings)
    assert chain.latency == round(dsp.LOOKAHEAD_MS * 44.1) == 66
    for start in range(0, x.size, 882):
        expected = dsp.process(
            x[start : start + 882], settings=settings, state=state, sample_rate=44100
        )
        np.testing.assert_allclose(
            chain.process(x[start : start + 882]).samples, expected.samples, rtol=0, atol=TOLERANCE
        )


def test_non_finite_frame_is_refused_and_state_kept(recordings):
    x = recordings["music"][: 4 * N]
    chain, reference = WasmChain(), WasmChain()
    chain.process(x[:N])
    reference.process(x[:N])
    bad = x[N : 2 * N].copy()
    bad[17] = np.nan
    with pytest.raises(dsp.FrameError):
        chain.process(bad)
    np.testing.assert_array_equal(
        chain.process(x[N : 2 * N]).samples, reference.process(x[N : 2 * N]).samples
    )
