"""The module's own settings table against mixer/dsp.py's ChainSettings (names, ranges,
defaults), and what it does with settings it must refuse."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mixer.dsp import ChainSettings
from mixer.presets import preset_for
from mixer.wasm_chain import WasmChain, flat_settings


def declared_ranges(section: type = ChainSettings, prefix: str = "") -> dict:
    keys = section().to_dict()
    ranges = {}
    for key, spec in zip(keys, dataclasses.fields(section), strict=True):
        if "range" in spec.metadata:
            ranges[prefix + key] = spec.metadata["range"]
        elif isinstance(spec.default, bool):
            ranges[prefix + key] = (0, 1)
        else:
            ranges.update(declared_ranges(type(spec.default_factory()), f"{prefix}{key}."))
    return ranges


def test_slots_are_the_config_fields_with_their_ranges():
    chain = WasmChain()
    assert chain.ranges() == declared_ranges()


def test_a_new_chain_starts_with_the_default_settings():
    chain, expected = WasmChain(), WasmChain()
    expected.configure(ChainSettings())
    assert chain.configure_slots({}) == -1
    x = np.random.default_rng(3).uniform(-1, 1, 960).astype(np.float32)
    np.testing.assert_array_equal(chain.process(x).samples, expected.process(x).samples)


@pytest.mark.parametrize(
    ("slot", "value"),
    [
        ("compressor.ratio", 0.5),
        ("eq.low", 12.5),
        ("limiter.ceiling", float("nan")),
        ("noiseGate.enabled", 0.5),
        ("gain", float("inf")),
    ],
)
def test_invalid_setting_is_refused_and_previous_stays(slot, value):
    chain, reference = WasmChain(), WasmChain()
    for c in (chain, reference):
        c.configure(preset_for("rock"))
    rejected = chain.configure_slots({"eq.high": -3.0, slot: value})
    assert chain.names[rejected] == slot
    x = np.random.default_rng(4).uniform(-1, 1, 960).astype(np.float32)
    np.testing.assert_array_equal(chain.process(x).samples, reference.process(x).samples)


def test_unsupported_sample_rate_is_refused():
    with pytest.raises(ValueError, match="4000 Hz"):
        WasmChain(sample_rate=4000)


def test_flat_settings_names_every_slot():
    assert set(flat_settings(preset_for("jazz"))) == set(WasmChain().names)
