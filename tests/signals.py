"""Test audio: the real recordings in ../shared/data when present, generated signals if not."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from audioservices.audio.io import encode

# The shared recordings sit beside the checkout (../shared/data); SHARED_DATA_DIR overrides.
DATA = Path(os.environ.get("SHARED_DATA_DIR",
                          Path(__file__).resolve().parents[2] / "shared" / "data")) / "dev"
SPEECH = DATA / "speech" / "en_ls2033_m" / "en_ls2033_m_2033-164914-0003.flac"
QUIET_SPEECH_DIR = DATA / "speech" / "en_ls367_f"
NOISE = DATA / "noise" / "water_running_tap.flac"
HOT_MUSIC = DATA / "music" / "orchestral_hedgewars_castle.flac"


def load_mono(path: Path, sample_rate: int) -> np.ndarray:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != sample_rate:
        g = np.gcd(rate, sample_rate)
        audio = resample_poly(audio, sample_rate // g, rate // g).astype(np.float32)
    return audio


def speech(sample_rate: int) -> np.ndarray:
    if SPEECH.exists():
        return load_mono(SPEECH, sample_rate)
    t = np.arange(int(4 * sample_rate)) / sample_rate  # a vowel-like harmonic tone, gated
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    return (0.1 * tone * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)


def noise(sample_rate: int, length: int) -> np.ndarray:
    if NOISE.exists():
        recorded = load_mono(NOISE, sample_rate)
        return np.tile(recorded, length // recorded.size + 1)[:length]
    return np.random.default_rng(1).standard_normal(length).astype(np.float32)


def mix_at_snr(clean: np.ndarray, noise_: np.ndarray, snr_db: float) -> np.ndarray:
    """Noisy = clean + scaled noise, then scaled to a 0.9 peak (SI-SDR ignores the scale)."""
    gain = np.sqrt(np.mean(clean**2) / (np.mean(noise_**2) * 10 ** (snr_db / 10)))
    noisy = clean + gain * noise_
    return (0.9 * noisy / np.abs(noisy).max()).astype(np.float32)


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    n = min(estimate.size, reference.size)
    estimate, reference = estimate[:n].astype(np.float64), reference[:n].astype(np.float64)
    target = (estimate @ reference) / (reference @ reference) * reference
    return float(10 * np.log10(np.sum(target**2) / np.sum((estimate - target) ** 2)))


def tone(seconds: float = 2.0, *, sample_rate: int = 44100, channels: int = 2,
         amplitude: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    rows = [amplitude * np.sin(2 * np.pi * (440 + 110 * c) * t) for c in range(channels)]
    return np.stack(rows).astype(np.float32)


def encoded(audio: np.ndarray, *, sample_rate: int, fmt: str, tmp_path: Path) -> bytes:
    path = tmp_path / f"clip.{fmt}"
    encode(path, audio, sample_rate=sample_rate, fmt=fmt)
    return path.read_bytes()


def upload(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def upload_form(kind: str, audio_file, **fields) -> dict:
    """The upload form of a service, with ``audio_file`` as its (main) input; speaker
    extraction's conversation gets a valid 3 s target sample beside it."""
    if kind == "speaker":
        buffer = io.BytesIO()
        sf.write(buffer, tone(3.0, sample_rate=16000, channels=1).T, 16000, format="WAV")
        return {"conversation_file": audio_file,
                "target_speaker_file": upload(buffer.getvalue(), "target.wav"), **fields}
    return {"audio_file": audio_file, **fields}
