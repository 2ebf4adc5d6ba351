"""Properties of the mixer's DSP chain, checked against the plain reference in reference_chain."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mixer import dsp
from mixer.dsp import ChainSettings, FrameError, SettingsError
from mixer.presets import GENRES, preset_for

from .reference_chain import reference_chain

FS, N = dsp.SAMPLE_RATE, dsp.FRAME_SIZE
OFF = {"enabled": False}
SPEC_EXAMPLE = {"genre": "auto", "compressor": {"ratio": 4, "threshold": -20}}
SPEC_FULL = {
    "genre": "rock",
    "bypass": False,
    "gain": -3.5,
    "noiseGate": {"enabled": True, "threshold": -45},
    "compressor": {"enabled": True, "ratio": 20, "threshold": -40, "attack": 0.1, "release": 1000},
    "eq": {"enabled": True, "low": -12, "mid": 12, "high": 0},
    "limiter": {"enabled": True, "ceiling": -3},
}


# ----------------------------------------------------------------------------- strategies


def _section(cls: type) -> st.SearchStrategy:
    """Any valid instance of a settings dataclass, drawn from its declared ranges."""
    kwargs = {}
    for spec in dataclasses.fields(cls):
        if "range" in spec.metadata:
            kwargs[spec.name] = st.floats(*spec.metadata["range"])
        elif isinstance(spec.default, bool):
            kwargs[spec.name] = st.booleans()
        else:
            kwargs[spec.name] = _section(type(spec.default_factory()))
    return st.builds(cls, **kwargs)


chains = _section(ChainSettings).map(lambda s: dataclasses.replace(s, bypass=False))


@st.composite
def signals(draw: st.DrawFn, frames: int = 3) -> np.ndarray:
    """float32 in [-1, 1]: raw Hypothesis arrays, or seeded noise/sine bursts with silences."""
    n = frames * N
    if draw(st.booleans()):
        return draw(arrays(np.float32, n, elements=st.floats(-1, 1, width=32)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.arange(n) / FS
    x = rng.uniform(-1, 1, n) * draw(st.floats(0, 1))
    x += draw(st.floats(0, 1)) * np.sin(2 * np.pi * draw(st.floats(20, 20000)) * t)
    x *= (rng.uniform(0, 1, n // 240) > draw(st.floats(0, 1))).repeat(240)  # on/off bursts
    return np.clip(x, -1, 1).astype(np.float32)


def _run(x: np.ndarray, s: ChainSettings, frame: int = N) -> np.ndarray:
    state = dsp.new_state()
    outs = [dsp.process(x[i : i + frame], settings=s, state=state) for i in range(0, x.size, frame)]
    return np.concatenate([r.samples for r in outs])


def _tone(freq: float, db: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_db(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.max(np.abs(x))))


# ----------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(x=signals(frames=1), s=chains)
def test_output_is_finite_float32_of_same_shape(x: np.ndarray, s: ChainSettings) -> None:
    result = dsp.process(x, settings=s, state=dsp.new_state())
    assert result.samples.dtype == np.float32
    assert result.samples.shape == x.shape
    assert np.isfinite(result.samples).all()
    assert all(math.isfinite(v) for v in (result.peak_db, result.rms_db))
    assert result.compressor_gr_db >= 0.0
    assert result.limiter_gr_db >= 0.0


@settings(max_examples=25, deadline=None)
@given(x=signals(frames=1), s=chains)
def test_bypass_is_identity_and_leaves_state_alone(x: np.ndarray, s: ChainSettings) -> None:
    state = dsp.new_state()
    dsp.process(x, settings=s, state=state)  # some history to keep
    before = state.scalars.copy(), state.ring.copy()
    result = dsp.process(x, settings=dataclasses.replace(s, bypass=True), state=state)
    assert np.array_equal(result.samples, x)
    assert result.samples is not x
    assert np.array_equal(state.scalars, before[0])
    assert np.array_equal(state.ring, before[1])


@settings(max_examples=25, deadline=None)
@given(s=chains)
def test_silence_in_gives_silence_out(s: ChainSettings) -> None:
    out = _run(np.zeros(3 * N, np.float32), s)
    assert not out.any()


@settings(max_examples=100, deadline=None)
@given(
    x=signals(),
    s=chains,
    gain=st.floats(0, 20),
    ceiling=st.floats(-3, 0),
)
@example(x=np.ones(3 * N, np.float32), s=ChainSettings(), gain=20.0, ceiling=0.0)
@example(x=-np.ones(3 * N, np.float32), s=ChainSettings(), gain=20.0, ceiling=-3.0)
def test_limiter_output_never_exceeds_ceiling(
    x: np.ndarray, s: ChainSettings, gain: float, ceiling: float
) -> None:
    limiter = dsp.LimiterSettings(ceiling=ceiling, release=s.limiter.release)
    s = dataclasses.replace(s, gain=gain, limiter=limiter)
    out = _run(x, s)
    assert np.max(np.abs(out)) <= 10 ** (ceiling / 20)


@settings(max_examples=80, deadline=None)
@given(x=signals(), s=chains, cut=st.integers(1, 3 * N - 1))
def test_frame_by_frame_equals_whole_signal(x: np.ndarray, s: ChainSettings, cut: int) -> None:
    whole = dsp.process(x, settings=s, state=dsp.new_state()).samples
    assert np.array_equal(_run(x, s), whole)  # 960-sample frames
    state = dsp.new_state()  # and two uneven pieces
    parts = [dsp.process(p, settings=s, state=state).samples for p in (x[:cut], x[cut:])]
    assert np.array_equal(np.concatenate(parts), whole)


@settings(max_examples=100, deadline=None)
@given(x=signals(), s=chains)
def test_numba_chain_matches_reference(x: np.ndarray, s: ChainSettings) -> None:
    np.testing.assert_allclose(_run(x, s), reference_chain(x, s), rtol=0, atol=1e-5)


@pytest.mark.parametrize("release", [10.0, 1000.0])
def test_long_decays_match_reference(release: float) -> None:
    """Seconds of detector decay: the compressor's multiplicative updates must not drift."""
    t = np.arange(2 * FS) / FS
    x = (np.sin(2 * np.pi * 220 * t) * np.exp(-t / 0.5)).astype(np.float32)
    s = ChainSettings.from_dict(
        {"gain": 12, "compressor": {"ratio": 8, "threshold": -30, "knee": 24, "release": release}}
    )
    np.testing.assert_allclose(_run(x, s), reference_chain(x, s), rtol=0, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(x=signals(frames=2), s=chains, level=st.floats(0.0, 1.0))
def test_idle_limiter_shortcut_equals_the_limiter_loop(
    x: np.ndarray, s: ChainSettings, level: float
) -> None:
    """With nothing over the ceiling and no gain held, the chain only delays the frame: the
    shortcut must give the limiter loop's samples and state, bit for bit."""
    limiter = dsp.LimiterSettings(enabled=True, ceiling=s.limiter.ceiling)
    c = dsp.coefficients(dataclasses.replace(s, limiter=limiter))
    state = dsp.new_state()
    dsp.process(x[:N], settings=s, state=state)  # some history in the delay line
    state.values[[dsp.S_LIM_CUR, dsp.S_LIM_PREV]] = 1.0  # an idle limiter
    state.values[[dsp.S_LIM_DEFICIT, dsp.S_LIM_SUM, dsp.S_LIM_COUNT]] = 0.0
    state.ring[1] = 0.0
    w = x[N:].astype(np.float64) * level * c[dsp.K_LIM_CEIL]  # at most the ceiling
    assert dsp._limiter_idle(w, c, state.scalars)
    fast, slow = dsp.new_state(), dsp.new_state()
    fast.values[:], slow.values[:] = state.values, state.values
    y_fast, y_slow = np.empty(N, np.float32), np.empty(N, np.float32)
    dsp._delay(w, y_fast, fast.scalars, fast.ring[0])
    dsp._limiter(w, y_slow, c, slow.scalars, slow.ring[0], slow.ring[1])
    assert np.array_equal(y_fast, y_slow)
    assert np.array_equal(fast.values, slow.values)


def test_non_finite_frame_is_refused_before_the_state_changes() -> None:
    state = dsp.new_state()
    dsp.process(_tone(440, -6, 0.02), settings=ChainSettings(), state=state)
    before = state.values.copy()
    frame = _tone(440, -6, 0.02)
    frame[500] = np.inf
    with pytest.raises(FrameError, match="finite"):
        dsp.process(frame, settings=ChainSettings(), state=state)
    assert np.array_equal(state.values, before)


def test_kernel_accepts_any_length() -> None:
    x = _tone(440, -6, 0.05)
    for n in (1, 2, 7, 72, 73, 1000):
        out = dsp.process(x[:n], settings=ChainSettings(), state=dsp.new_state())
        assert out.samples.shape == (n,)


def test_long_silence_flushes_state_to_exact_zero() -> None:
    s = ChainSettings.from_dict({"eq": {"low": 6, "mid": -3, "high": 2}})
    state = dsp.new_state()
    dsp.process(_tone(100, -6, 0.5), settings=s, state=state)
    dsp.process(np.zeros(FS, np.float32), settings=s, state=state)
    assert not state.scalars[dsp.S_Z : dsp.S_Z + 6].any()


# ----------------------------------------------------------------------------- behaviour


@pytest.mark.parametrize(("band", "freq"), [("low", 40.0), ("mid", 1000.0), ("high", 16000.0)])
@pytest.mark.parametrize("boost", [6.0, -6.0])
def test_eq_band_changes_tone_level(band: str, freq: float, boost: float) -> None:
    s = ChainSettings.from_dict(
        {"noiseGate": OFF, "compressor": OFF, "limiter": OFF, "eq": {band: boost}}
    )
    x = _tone(freq, -20, 0.5)
    out = _run(x, s)
    rms = lambda v: math.sqrt(float(np.mean(v[-FS // 5 :].astype(np.float64) ** 2)))  # noqa: E731
    assert 20 * math.log10(rms(out) / rms(x)) == pytest.approx(boost, abs=0.5)


def test_compressor_settles_on_static_curve() -> None:
    s = ChainSettings.from_dict(
        {"noiseGate": OFF, "eq": OFF, "limiter": OFF, "compressor": {"ratio": 4, "threshold": -20}}
    )
    out = _run(_tone(1000, -8, 0.6), s)
    assert _peak_db(out[-FS // 10 :]) == pytest.approx(-20 + 12 / 4, abs=1.0)


def test_gate_closes_on_quiet_and_opens_on_loud_signal() -> None:
    s = ChainSettings.from_dict(
        {"compressor": OFF, "eq": OFF, "limiter": OFF, "noiseGate": {"threshold": -50}}
    )
    state = dsp.new_state()
    quiet = _run(_tone(440, -70, 0.5), s)
    assert _peak_db(quiet[-FS // 10 :]) < -70 - 60  # closed: floor is -80 dB
    for frame in _tone(440, -20, 0.2).reshape(-1, N):
        loud = dsp.process(frame, settings=s, state=state).samples
    assert _peak_db(loud) == pytest.approx(-20, abs=0.1)


def test_meters_report_levels_and_gain_reduction() -> None:
    s = ChainSettings.from_dict({"gain": 20, "limiter": {"ceiling": -1}})
    state = dsp.new_state()
    for frame in _tone(440, -6, 0.1).reshape(-1, N):
        result = dsp.process(frame, settings=s, state=state)
    assert result.peak_db == pytest.approx(_peak_db(result.samples))
    rms = math.sqrt(float(np.mean(result.samples.astype(np.float64) ** 2)))
    assert result.rms_db == pytest.approx(20 * math.log10(rms))
    assert result.peak_db <= -1.0
    assert result.compressor_gr_db > 5.0
    assert result.limiter_gr_db > 0.0
    silent = dsp.process(np.zeros(N, np.float32), settings=s, state=dsp.new_state())
    assert silent.peak_db == silent.rms_db == dsp.METER_FLOOR_DB


def test_state_for_another_sample_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="44100"):
        dsp.process(
            np.zeros(N, np.float32),
            settings=ChainSettings(),
            state=dsp.new_state(sample_rate=44100),
        )


def test_warm_up_runs() -> None:
    assert dsp.warm_up() >= 0.0


# ----------------------------------------------------------------------------- settings


def test_from_dict_accepts_spec_examples() -> None:
    s = ChainSettings.from_dict(SPEC_EXAMPLE)
    assert s.compressor.ratio == 4.0
    assert s.compressor.threshold == -20.0
    assert s.noise_gate == dsp.GateSettings()  # untouched sections keep their defaults
    full = ChainSettings.from_dict(SPEC_FULL)
    assert full.eq.mid == 12.0
    assert full.limiter.ceiling == -3.0


def test_to_dict_round_trips_with_camel_case_keys() -> None:
    s = ChainSettings.from_dict(SPEC_FULL)
    d = s.to_dict()
    assert set(d) == {"gain", "bypass", "noiseGate", "compressor", "eq", "limiter"}
    assert "makeupGain" in d["compressor"]
    assert ChainSettings.from_dict(d) == s


def test_from_dict_merges_onto_a_base() -> None:
    base = preset_for("speech")
    s = ChainSettings.from_dict({"eq": {"high": 5}, "compressor": None}, base=base)
    assert s.eq.high == 5.0
    assert s.eq.low == base.eq.low
    assert s.compressor == base.compressor


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        ({"compressor": {"ratio": 25}}, {"compressor.ratio": "must be between 1 and 20"}),
        ({"gain": 20.5}, {"gain": "must be between -20 and 20"}),
        ({"noiseGate": {"threshold": -61}}, {"noiseGate.threshold": "must be between -60 and 0"}),
        (
            {"eq": {"low": -13, "high": 12.5}},
            {"eq.low": "must be between -12 and 12", "eq.high": "must be between -12 and 12"},
        ),
        ({"limiter": {"ceiling": 0.5}}, {"limiter.ceiling": "must be between -3 and 0"}),
        (
            {"compressor": {"attack": 0.01, "release": 5}},
            {
                "compressor.attack": "must be between 0.1 and 100",
                "compressor.release": "must be between 10 and 1000",
            },
        ),
        (
            {"compressor": {"threshold": float("nan")}},
            {"compressor.threshold": "must be between -40 and 0"},
        ),
        ({"gain": "3"}, {"gain": "must be a number"}),
        ({"gain": True}, {"gain": "must be a number"}),
        ({"bypass": "yes"}, {"bypass": "must be true or false"}),
        ({"eq": [1, 2, 3]}, {"eq": "must be an object"}),
        (
            {"reverb": {}, "eq": {"bass": 1}},
            {"reverb": "unknown field", "eq.bass": "unknown field"},
        ),
    ],
)
def test_from_dict_rejects_bad_values_with_field_errors(config: dict, errors: dict) -> None:
    with pytest.raises(SettingsError) as caught:
        ChainSettings.from_dict(config)
    assert caught.value.errors == errors
    assert isinstance(caught.value, ValueError)


def _numeric_fields() -> list[tuple[str, str, float, float]]:
    out = []
    for top in dataclasses.fields(ChainSettings):
        if "range" in top.metadata:
            out.append(("", top.name, *top.metadata["range"]))
        elif not isinstance(top.default, bool):
            for spec in dataclasses.fields(type(top.default_factory())):
                if "range" in spec.metadata:
                    out.append((top.name, spec.name, *spec.metadata["range"]))
    return out


@settings(max_examples=100, deadline=None)
@given(field=st.sampled_from(_numeric_fields()), data=st.data())
def test_from_dict_rejects_any_out_of_range_value(field: tuple, data: st.DataObject) -> None:
    section, name, low, high = field
    bad = data.draw(
        st.floats(max_value=low, exclude_max=True) | st.floats(min_value=high, exclude_min=True)
    )
    key = dsp._camel(name)
    config = {dsp._camel(section): {key: bad}} if section else {key: bad}
    path = f"{dsp._camel(section)}.{key}" if section else key
    with pytest.raises(SettingsError) as caught:
        ChainSettings.from_dict(config)
    assert set(caught.value.errors) == {path}


def test_from_dict_refuses_non_objects() -> None:
    with pytest.raises(SettingsError) as caught:
        ChainSettings.from_dict([1, 2])  # type: ignore[arg-type]
    assert caught.value.errors == {"config": "must be an object"}


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(SettingsError) as caught:
        dsp.CompressorSettings(ratio=0.5, knee=-1)
    assert set(caught.value.errors) == {"ratio", "knee"}
    with pytest.raises(SettingsError) as caught:
        ChainSettings(eq=dsp.LimiterSettings())  # type: ignore[arg-type]
    assert caught.value.errors == {"eq": "must be an object"}


# ----------------------------------------------------------------------------- frames, presets


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((2, 480), np.float32), "1-D"),
        (np.array([], np.float32), "at least one"),
        (np.array([0.0, np.nan]), "finite"),
        (np.array([0.0, np.inf], np.float32), "finite"),
        (np.array([1e39]), "finite"),
        (["a", "b"], "real numbers"),
        (np.array([1 + 2j]), "real numbers"),
        ([[1.0], [2.0, 3.0]], "array of numbers"),
        (np.array([True, False]), "real numbers"),
    ],
)
def test_valid_frame_rejects(frame: object, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        dsp.valid_frame(frame)


def test_valid_frame_converts_numbers_and_keeps_float32_arrays() -> None:
    assert dsp.valid_frame([0, 0.5, -1]).dtype == np.float32
    x = np.zeros(N, np.float32)
    assert dsp.valid_frame(x) is x
    assert dsp.valid_frame(np.full(4, 3e38, np.float32)).size == 4


@pytest.mark.parametrize("genre", GENRES)
def test_presets_are_valid_and_process(genre: str) -> None:
    s = preset_for(genre)
    assert ChainSettings.from_dict(s.to_dict()) == s
    out = dsp.process(_tone(220, -12, 0.02), settings=s, state=dsp.new_state())
    assert np.isfinite(out.samples).all()


@pytest.mark.parametrize("genre", ["auto", "metal", "Speech"])
def test_unknown_genre_raises_key_error(genre: str) -> None:
    with pytest.raises(KeyError):
        preset_for(genre)
