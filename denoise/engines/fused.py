"""``dfn3-nsnet2``: DeepFilterNet3 and NSNet2 run side by side and fused per time-frequency bin.

The two networks make different mistakes: DFN3 keeps steady high-band noise it mistakes for
speech (cicadas: +1 dB where NSNet2 gains +13 dB), NSNet2 leaves more of most other noises.
In a 32 ms STFT (Hann, 8 ms hops) each bin keeps the geometric mean of the two networks'
gains (output over input magnitude), raised to MASK_EXPONENT, with DFN3's phase: a bin
survives only as far as both keep it, and what one of them removes wrongly is mostly given
back (a -40 dB mistake of one becomes -16 dB). NSNet2 is a 16 kHz model, so above 7.6 kHz (soxr's passband edge) the fused
spectrum is DFN3's alone.

Every part streams: each channel's block goes through both engines (``frames.WetStream``)
and as it is (``DryStream``), the three aligned signals through the fusion STFT (overlap
carried), and the result over the input in place, mixed dry/wet like every engine. Blocks
give the one-pass output.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import get_window

from denoise.engines import dfn3, nsnet2
from denoise.engines.frames import (
    Progress,
    StreamsChannel,
    WetStream,
    blocks_run,
    channel_loudness,
)

HOP_S = 0.008  # the window is four hops: 32 ms
NSNET2_BAND_HZ = 7600.0
# Below 1 the fused gain is softened: both networks lose more speech than they leave noise
# on these mixes. Chosen on utterances the benchmark does not score (README, "Denoise
# engines"): 0.8 gave +0.24 dB SI-SDR and +0.02 PESQ over 1.0 there, 0.6 and 0.7 cost PESQ.
MASK_EXPONENT = 0.8


class DryStream:
    """The channel's input as it is, in the ``WetStream`` interface: already aligned."""

    def wet_chunk(self, block: np.ndarray, *, last: bool) -> np.ndarray:
        return block.copy()  # the block is a view of samples the writer will overwrite

    def close(self) -> None:
        pass


class _Fusion:
    """Streaming STFT fusion of the dry signal and two aligned denoised ones (DFN3's first);
    emits aligned fused samples."""

    def __init__(self, *, sample_rate: int) -> None:
        self.hop = max(1, round(HOP_S * sample_rate))
        self.size = 4 * self.hop
        self.window = get_window("hann", self.size)  # periodic: its squares sum to 1.5 at 75 %
        self.scale = self.window / (np.sum(self.window**2) / self.hop)
        bins = np.fft.rfftfreq(self.size, 1.0 / sample_rate)
        # Sources at 16 kHz or less: NSNet2 covers their whole band, so every bin is fused.
        band = NSNET2_BAND_HZ if sample_rate > nsnet2.RATE else np.inf
        self.fused_bins = bins < band
        # A virtual run of silence in front, so the first real sample gets all four frames.
        self.signals = [np.zeros(self.size - self.hop) for _ in range(3)]
        self.overlap = np.zeros(self.size - self.hop)
        self.skip = self.size - self.hop

    def push(self, chunks: list[np.ndarray], *, last: bool) -> np.ndarray:
        """``chunks``: the next samples of dry, DFN3 and NSNet2, in that order."""
        # Silence after the end completes the last samples' frames.
        tail = [np.zeros(self.size)] if last else []
        self.signals = [np.concatenate([s, c, *tail]) for s, c in zip(self.signals, chunks,
                                                                       strict=True)]
        count = (min(s.size for s in self.signals) - self.size) // self.hop + 1
        if count <= 0:
            return np.empty(0, dtype=np.float32)
        frames = self._fused_frames(count)
        self.signals = [s[count * self.hop :] for s in self.signals]
        out = np.zeros((count + 3) * self.hop)
        out[: self.overlap.size] = self.overlap
        quarters = frames.reshape(count, 4, self.hop)
        for quarter in range(4):
            out[quarter * self.hop : (quarter + count) * self.hop] += quarters[:, quarter].ravel()
        self.overlap = out[count * self.hop :]
        emitted = out[: count * self.hop]
        dropped = min(self.skip, emitted.size)
        self.skip -= dropped
        return emitted[dropped:].astype(np.float32)

    def _fused_frames(self, count: int) -> np.ndarray:
        def spectra(signal: np.ndarray) -> np.ndarray:
            view = np.lib.stride_tricks.sliding_window_view(signal, self.size)[::self.hop]
            return np.fft.rfft(view[:count] * self.window, axis=1)

        dry, dfn3_, nsnet2_ = (spectra(s) for s in self.signals)
        band = self.fused_bins
        low = dfn3_[:, band]
        # |dry| * (|dfn3| |nsnet2| / |dry|^2)^(e/2), in DFN3's phase; a silent bin of DFN3
        # stays silent.
        half = MASK_EXPONENT / 2
        magnitude = (np.abs(dry[:, band]) ** (1 - MASK_EXPONENT)
                     * (np.abs(low) * np.abs(nsnet2_[:, band])) ** half)
        dfn3_[:, band] = low * (magnitude / np.maximum(np.abs(low), 1e-20))
        return np.fft.irfft(dfn3_, n=self.size, axis=1) * self.scale


def _fused_channel(signal: np.ndarray, *, sample_rate: int, wet: float) -> StreamsChannel:
    fusion = _Fusion(sample_rate=sample_rate)
    loudness_lufs = channel_loudness(signal, sample_rate=sample_rate)
    streams = [DryStream()] + [
        WetStream(length=signal.size, sample_rate=sample_rate, engine=engine,
                  loudness_lufs=loudness_lufs)
        for engine in (dfn3.ENGINE, nsnet2.ENGINE)
    ]
    return StreamsChannel(signal, streams=streams, wet=wet,
                          combine=lambda chunks, last: fusion.push(chunks, last=last))


def denoise_fused(
    audio: np.ndarray, *, sample_rate: int, wet: float, progress: Progress | None = None
) -> np.ndarray:
    """Denoise (channels, samples) float32 IN PLACE; ``wet`` 0..1 is the denoised share."""
    channels = [_fused_channel(row, sample_rate=sample_rate, wet=wet) for row in audio]
    blocks_run(channels, length=audio.shape[1], sample_rate=sample_rate, progress=progress)
    return audio
