"""µs per 960-sample frame of the WebAssembly mixer chain, against the numba chain it ports.

    python bench/mixer_wasm.py [--seconds 30]

The same signal and settings as bench/mixer_dsp.py, state carried frame to frame: the numba
kernel; the wasm module under wasmtime (Cranelift) through mixer.wasm_chain.WasmChain, copies
in and out included; and the wasm module in Node's V8 (the browser's engine) through the
page's own wrapper static/mixer/wasm-chain.js. Quality: the largest difference of each wasm
output from the numba output over the whole signal. Memory: the Python process's peak RSS
(numba and wasmtime share it); Node's RSS at the end of its run (the module itself uses
128 KiB of linear memory).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mixer_dsp import SETTINGS, make_signal, numba_kernel, time_frames
from mixer import dsp
from mixer.wasm_chain import WasmChain
from mixer.wasm_module import MODULE_PATH

N = dsp.FRAME_SIZE
NODE_SCRIPT = Path(__file__).with_name("mixer_wasm_node.mjs")


def numba_output(frames: np.ndarray) -> np.ndarray:
    state = dsp.new_state()
    return np.concatenate([dsp.process(f, settings=SETTINGS, state=state).samples for f in frames])


def wasmtime_run(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per-frame µs, output of a fresh chain over the signal)."""
    timed, fresh = WasmChain(), WasmChain()
    timed.configure(SETTINGS)
    fresh.configure(SETTINGS)
    times = time_frames(timed.process, frames, len(frames))  # its warm-up advances the state
    return times, np.concatenate([fresh.process(f).samples for f in frames])


def node_run(frames: np.ndarray) -> tuple[dict, np.ndarray]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed for the V8 row (Debian: apt-get install -y nodejs)")
    with tempfile.TemporaryDirectory() as tmp:
        signal, settings, out = Path(tmp, "in.f32"), Path(tmp, "s.json"), Path(tmp, "out.f32")
        signal.write_bytes(frames.astype("<f4").tobytes())
        settings.write_text(json.dumps(SETTINGS.to_dict()))
        result = subprocess.run(
            [
                node,
                str(NODE_SCRIPT),
                str(MODULE_PATH),
                str(signal),
                str(settings),
                str(out),
                str(N),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(result.stdout), np.fromfile(out, "<f4")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the test signal")
    args = parser.parse_args(argv)
    dsp.warm_up()
    frames = make_signal(args.seconds).reshape(-1, N)
    expected = numba_output(frames)
    numba_times = time_frames(numba_kernel(SETTINGS), frames, len(frames))
    wasm_times, wasm_out = wasmtime_run(frames)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    v8, v8_out = node_run(frames)
    size = MODULE_PATH.stat().st_size
    print(f"signal {args.seconds:g} s ({len(frames)} frames); wasm module {size} bytes\n")
    print(
        "| implementation | µs/frame (median) | p99 µs | \u00d7 real time "
        "| max abs diff vs numba | RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    rows = [
        ("numba kernel", np.median(numba_times), np.percentile(numba_times, 99), 0.0, rss_mb),
        (
            "wasm in wasmtime (WasmChain.process)",
            np.median(wasm_times),
            np.percentile(wasm_times, 99),
            np.max(np.abs(wasm_out - expected)),
            rss_mb,
        ),
        (
            "wasm in Node V8 (static/mixer/wasm-chain.js)",
            v8["median_us"],
            v8["p99_us"],
            np.max(np.abs(v8_out - expected)),
            v8["rss_mb"],
        ),
    ]
    for name, median, p99, diff, rss in rows:
        print(
            f"| {name} | {median:.1f} | {p99:.1f} | {20000 / median:,.0f} | {diff:.1e} | "
            f"{rss:.0f} |"
        )


if __name__ == "__main__":
    main()
