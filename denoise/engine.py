"""One interface over the denoise engines; the job, the benchmarks and the tests use this.

- ``spectral``: noisereduce's non-stationary spectral gating (any rate, no model);
- ``spectral-stationary``: noisereduce with one noise profile per block (steady hiss, hum);
- ``dfn3``: DeepFilterNet3, a neural speech enhancer (48 kHz);
- ``dfn3-nsnet2``: DeepFilterNet3 and NSNet2 fused per time-frequency bin (the default);
- ``nsnet2``: NSNet2, Microsoft's DNS-Challenge baseline (16 kHz);
- ``rnnoise``: RNNoise, a small neural speech denoiser (48 kHz).

``strength`` (0-100) is the denoised share of a wet/dry mix, the same for every engine:
noise is attenuated by at most ``-20 log10(1 - strength/100)`` dB (100: no limit, 0: the
input unchanged). For DeepFilterNet this is exactly its ``atten_lim_db``; for noisereduce its
``prop_decrease``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from audioservices.audio.validate import valid_audio

Progress = Callable[[float], None]
DEFAULT_STRENGTH = 100


@dataclass(frozen=True)
class Engine:
    name: str
    run: Callable[..., np.ndarray]  # (audio, *, sample_rate, wet, progress) -> audio, in place


def _spectral(stationary: bool) -> Callable[..., np.ndarray]:
    def run(audio, *, sample_rate, wet, progress):
        from denoise.engines.spectral import denoise_spectral

        return denoise_spectral(audio, sample_rate=sample_rate, stationary=stationary, wet=wet,
                                progress=progress)

    return run


def _framewise(module: str) -> Callable[..., np.ndarray]:
    def run(audio, *, sample_rate, wet, progress):
        from importlib import import_module

        from denoise.engines.frames import denoise_frames

        engine = import_module(f"denoise.engines.{module}").ENGINE
        return denoise_frames(audio, sample_rate=sample_rate, engine=engine, wet=wet,
                              progress=progress)

    return run


def _fused(audio, *, sample_rate, wet, progress):
    from denoise.engines.fused import denoise_fused

    return denoise_fused(audio, sample_rate=sample_rate, wet=wet, progress=progress)


# Imports are deferred so a worker loads only the engines its jobs ask for.
ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        Engine("spectral", _spectral(stationary=False)),
        Engine("spectral-stationary", _spectral(stationary=True)),
        Engine("dfn3", _framewise("dfn3")),
        Engine("dfn3-nsnet2", _fused),
        Engine("nsnet2", _framewise("nsnet2")),
        Engine("rnnoise", _framewise("rnnoise")),
    )
}
ENGINE_NAMES = tuple(ENGINES)


def denoise(
    audio: np.ndarray,
    *,
    sample_rate: int,
    model: str = "spectral",
    strength: int = DEFAULT_STRENGTH,
    progress: Progress | None = None,
) -> np.ndarray:
    """Reduce background noise in (channels, samples) float32 audio. Works IN PLACE."""
    if model not in ENGINES:
        raise ValueError(f"unknown denoise model {model!r}; use one of {', '.join(ENGINE_NAMES)}")
    if not 0 <= strength <= 100:
        raise ValueError("strength must be within 0-100")
    audio = valid_audio(audio)
    if strength == 0:
        if progress:
            progress(1.0)
        return audio
    return ENGINES[model].run(audio, sample_rate=sample_rate, wet=strength / 100,
                              progress=progress)


__all__ = ["DEFAULT_STRENGTH", "ENGINES", "ENGINE_NAMES", "denoise"]
