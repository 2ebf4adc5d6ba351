"""The mixer chain compiled to WebAssembly (wasm/mixer_chain.c), hosted by wasmtime.

The browser runs the module in an AudioWorklet (static/mixer/chain-worklet.js); this file
runs the same module under wasmtime, which is how the parity tests and the benchmark hold it
to the numba chain. wasmtime is a development dependency (requirements-dev.txt): only
:class:`WasmChain` needs it, and imports it when used.

The module's settings are a flat float64 vector whose slot names are the spec's camelCase
config paths (``"compressor.ratio"``); the module reports them itself, so hosts look the slots
up by name instead of hard-coding an order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mixer import dsp
from mixer.dsp import ChainSettings, ProcessResult
from mixer.wasm_module import MODULE_PATH, built_module

MAX_FRAME = 8192  # CHAIN_MAX_FRAME in mixer_chain.c: the size of its input/output buffers


def flat_settings(settings: ChainSettings) -> dict[str, float]:
    """``settings`` as the module's slots: dotted camelCase names, booleans as 0/1."""
    return dict(_flatten(settings.to_dict()))


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Any:
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", float(value)


class WasmChain:
    """One stream through the wasm module under wasmtime: same contract as ``dsp.process``."""

    def __init__(self, *, sample_rate: int = dsp.SAMPLE_RATE, path: Path = MODULE_PATH) -> None:
        import wasmtime  # development dependency; see the module docstring

        self._store = wasmtime.Store()
        module = wasmtime.Module(self._store.engine, built_module(path).content)
        f64 = wasmtime.ValType.f64()
        host = {"pow": wasmtime.FuncType([f64, f64], [f64])}
        imports = []
        for item in module.imports:  # in the module's declared order
            ty = host.get(item.name, wasmtime.FuncType([f64], [f64]))
            imports.append(wasmtime.Func(self._store, ty, getattr(math, item.name)))
        exports = wasmtime.Instance(self._store, module, imports).exports(self._store)
        self._fn = {item.name: exports[item.name] for item in module.exports}
        if self._call("chain_init", sample_rate) != 0:
            raise ValueError(f"the wasm chain does not support {sample_rate} Hz")
        memory = exports["memory"]  # the module never grows it, so this view stays valid
        self._memory = np.ctypeslib.as_array(
            memory.data_ptr(self._store), shape=(memory.data_len(self._store),)
        )
        self.names = tuple(self._param_name(i) for i in range(self._call("chain_param_count")))
        self.latency = self._call("chain_latency")
        self._params = self._view("chain_params", "<f8", len(self.names))
        self._meters = self._view("chain_meters", "<f8", 4)
        self._input_at, self._output_at = self._call("chain_input"), self._call("chain_output")

    def _call(self, name: str, *args: Any) -> Any:
        return self._fn[name](self._store, *args)

    def _view(self, pointer: str, dtype: str, count: int, at: int | None = None) -> np.ndarray:
        start = self._call(pointer) if at is None else at
        return self._memory[start : start + np.dtype(dtype).itemsize * count].view(dtype)

    def _param_name(self, index: int) -> str:
        start = self._call("chain_param_name", index)
        raw = self._memory[start : start + 64].tobytes()
        return raw[: raw.index(0)].decode()

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each slot's (low, high), as the module validates them."""
        return {
            name: (self._call("chain_param_min", i), self._call("chain_param_max", i))
            for i, name in enumerate(self.names)
        }

    def configure_slots(self, values: Mapping[str, float]) -> int:
        """Write named slots and apply them: -1, or the index of the first rejected slot."""
        for name, value in values.items():
            self._params[self.names.index(name)] = value
        return int(self._call("chain_configure"))

    def configure(self, settings: ChainSettings) -> None:
        rejected = self.configure_slots(flat_settings(settings))
        if rejected >= 0:
            raise ValueError(f"the wasm chain rejected {self.names[rejected]}")

    def process(self, frame: npt.ArrayLike) -> ProcessResult:
        """Process one frame, advancing the module's state (raises like ``dsp.process``)."""
        x = dsp.valid_frame(frame)
        if x.size > MAX_FRAME:
            raise dsp.FrameError(f"the wasm chain takes at most {MAX_FRAME} samples a call")
        self._view("", "<f4", x.size, at=self._input_at)[:] = x
        status = self._call("chain_process", x.size)
        if status != 0:
            raise dsp.FrameError(f"the wasm chain refused the frame (status {status})")
        samples = self._view("", "<f4", x.size, at=self._output_at).astype(np.float32)
        return ProcessResult(samples, *map(float, self._meters))
