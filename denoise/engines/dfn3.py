"""DeepFilterNet3 (48 kHz, 480-sample hops): its signal path around the three networks.

Per 10 ms frame: a 960-point STFT with the Vorbis window; 32 ERB-band log powers and the
lowest 96 complex bins, each normalised by an exponential running mean (as libDF does);
the encoder and two decoders (``dfn3_model``) give 32 ERB gains and, for the lowest 96 bins,
a 5-tap complex "deep filter" over frames t-2 .. t+2; then overlap-add. The networks see each
frame's features two frames early (their lookahead), so the output lags the input by the
STFT overlap plus two frames.

All state carries across calls: the STFT buffers, the running means, the GRU states, the
convolutions' past frames and the spectra the deep filter still needs. A file cut into
blocks of any size gives the one-pass output (tested to 1e-6).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from denoise.engines.dfn3_model import (
    DF_PATHWAY_CONTEXT,
    ENCODER_CONTEXT,
    GRU_STATES,
    HIDDEN,
    networks,
)
from denoise.engines.frames import FrameEngine, HalfOverlap

RATE = 48_000
FFT_SIZE = 960
HOP = 480
NB_ERB = 32
NB_DF = 96  # bins (0-4.8 kHz) that get the deep filter
DF_ORDER = 5
LOOKAHEAD = 2  # frames
DELAY = (FFT_SIZE - HOP) + LOOKAHEAD * HOP  # 1440 samples
NORM_ALPHA = 0.99  # libDF's calc_norm_alpha(48000, 480, tau=1 s), rounded as it does
C0_CHANNELS = 64
# Frames (10 ms each) per network call. The networks' intermediate tensors grow with it, about
# 0.4 MB a frame: a whole 10 s block per call took a stereo job's peak from 0.43 to 0.97 GB,
# and calls of 100 frames are no slower per frame (measured, 1 min stereo at 44.1 kHz).
MAX_FRAMES_PER_RUN = 100


def _erb_band_widths(*, min_bins: int = 2) -> np.ndarray:
    """libDF's ``erb_fb``: 32 bands equally spaced on the ERB scale over 0-24 kHz."""

    def to_erb(hz: float) -> float:
        return 9.265 * np.log1p(hz / (24.7 * 9.265))

    def from_erb(erb: float) -> float:
        return 24.7 * 9.265 * (np.exp(erb / 9.265) - 1.0)

    step = to_erb(RATE / 2) / NB_ERB
    widths, previous, overshoot = [], 0, 0
    for band in range(1, NB_ERB + 1):
        edge = int(np.floor(from_erb(band * step) / (RATE / FFT_SIZE) + 0.5))  # as Rust rounds
        width = edge - previous - overshoot
        overshoot = max(0, min_bins - width)
        widths.append(max(width, min_bins))
        previous = edge
    widths[-1] += 1  # the Nyquist bin
    widths[-1] -= max(0, sum(widths) - (FFT_SIZE // 2 + 1))
    return np.asarray(widths)


ERB_WIDTHS = _erb_band_widths()
ERB_STARTS = np.concatenate([[0], np.cumsum(ERB_WIDTHS)[:-1]])
_half = np.sin(0.5 * np.pi * (np.arange(FFT_SIZE) + 0.5) / (FFT_SIZE // 2))
WINDOW = np.sin(0.5 * np.pi * _half**2)  # Vorbis window: power-complementary at 50 % overlap
ANALYSIS_SCALE = 2 * HOP / FFT_SIZE**2  # libDF's wnorm; irfft's 1/N is undone on synthesis


def _running_mean(values: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """state_t = (1 - a) x_t + a state_(t-1), over axis 0, from ``state``."""
    means, _ = lfilter([1 - NORM_ALPHA], [1, -NORM_ALPHA], values, axis=0,
                       zi=NORM_ALPHA * state[None, :])
    return means, means[-1]


class Dfn3State:
    """One channel's stream: ``process`` takes (n, 480) frames, returns n frames."""

    def __init__(self) -> None:
        self.nets = networks()
        self.framing = HalfOverlap(HOP)
        self.erb_mean = np.linspace(-60.0, -90.0, NB_ERB)  # libDF's initial running means
        self.unit_mean = np.linspace(0.001, 0.0001, NB_DF)
        self.gru = {name: np.zeros((1, 1, HIDDEN), np.float32)
                    for names in GRU_STATES.values() for name in names}
        self.erb_past = np.zeros((ENCODER_CONTEXT, NB_ERB), np.float32)
        self.spec_past = np.zeros((ENCODER_CONTEXT, 2, NB_DF), np.float32)
        self.c0_past = np.zeros((1, C0_CHANNELS, DF_PATHWAY_CONTEXT, NB_DF), np.float32)
        # Spectra the deep filter still needs: 2 past frames, then those not yet enhanced.
        self.spectra = np.zeros((DF_ORDER - 1 - LOOKAHEAD, FFT_SIZE // 2 + 1), np.complex128)
        self.features_to_skip = LOOKAHEAD  # the first frames' features are only lookahead

    def process(self, frames: np.ndarray) -> np.ndarray:
        spectra = self._analyse(frames)
        erb_feat, spec_feat = self._features(spectra)
        self.spectra = np.concatenate([self.spectra, spectra])
        skip = min(self.features_to_skip, len(frames))
        self.features_to_skip -= skip
        out = [np.zeros((skip, HOP), np.float32)]  # the lookahead's delay: silence
        for at in range(skip, len(frames), MAX_FRAMES_PER_RUN):
            until = min(at + MAX_FRAMES_PER_RUN, len(frames))
            out.append(self._synthesise(self._enhance(erb_feat[at:until], spec_feat[at:until])))
        return np.concatenate(out)

    def close(self) -> None:
        pass  # nothing native to free: the sessions are shared by the process

    def _analyse(self, frames: np.ndarray) -> np.ndarray:
        return np.fft.rfft(self.framing.windows(frames) * WINDOW, axis=1) * ANALYSIS_SCALE

    def _features(self, spectra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        power = spectra.real**2 + spectra.imag**2
        erb_db = 10 * np.log10(np.add.reduceat(power, ERB_STARTS, axis=1) / ERB_WIDTHS + 1e-10)
        means, self.erb_mean = _running_mean(erb_db, self.erb_mean)
        low = spectra[:, :NB_DF]
        scales, self.unit_mean = _running_mean(np.abs(low), self.unit_mean)
        unit = low / np.sqrt(scales)
        erb_feat = ((erb_db - means) / 40.0).astype(np.float32)
        spec_feat = np.stack([unit.real, unit.imag], axis=1).astype(np.float32)  # (T, 2, F)
        return erb_feat, spec_feat

    def _enhance(self, erb_feat: np.ndarray, spec_feat: np.ndarray) -> np.ndarray:
        """Enhanced spectra of the frames whose lookahead features have just arrived."""
        count = len(erb_feat)
        erb_in = np.concatenate([self.erb_past, erb_feat])
        spec_in = np.concatenate([self.spec_past, spec_feat])
        self.erb_past, self.spec_past = erb_in[-ENCODER_CONTEXT:], spec_in[-ENCODER_CONTEXT:]
        e0, e1, e2, e3, emb, c0, _lsnr, self.gru["h_enc"] = self.nets.enc.run(None, {
            "feat_erb": erb_in[None, None],
            "feat_spec": np.ascontiguousarray(spec_in.transpose(1, 0, 2)[None]),
            "h_enc": self.gru["h_enc"],
        })
        gains, self.gru["h_erb0"], self.gru["h_erb1"] = self.nets.erb_dec.run(None, {
            "emb": emb, "e3": e3, "e2": e2, "e1": e1, "e0": e0,
            "h_erb0": self.gru["h_erb0"], "h_erb1": self.gru["h_erb1"],
        })
        c0_in = np.concatenate([self.c0_past, c0], axis=2)
        self.c0_past = c0_in[:, :, -DF_PATHWAY_CONTEXT:]
        coefs, _alpha, self.gru["h_df0"], self.gru["h_df1"] = self.nets.df_dec.run(None, {
            "emb": emb, "c0": c0_in, "h_df0": self.gru["h_df0"], "h_df1": self.gru["h_df1"],
        })
        return self._apply(gains[0, 0], coefs[0], count)

    def _apply(self, gains: np.ndarray, coefs: np.ndarray, count: int) -> np.ndarray:
        past = DF_ORDER - 1 - LOOKAHEAD
        spectra = self.spectra
        enhanced = spectra[past : past + count] * np.repeat(gains, ERB_WIDTHS, axis=1)
        taps = coefs.reshape(count, NB_DF, DF_ORDER, 2)
        taps = taps[..., 0] + 1j * taps[..., 1]
        low = np.zeros((count, NB_DF), np.complex128)
        for tap in range(DF_ORDER):  # frames t-2 .. t+2 of the noisy spectrum
            low += spectra[tap : tap + count, :NB_DF] * taps[:, :, tap]
        enhanced[:, :NB_DF] = low
        self.spectra = spectra[count:]
        return enhanced

    def _synthesise(self, spectra: np.ndarray) -> np.ndarray:
        windows = np.fft.irfft(spectra, n=FFT_SIZE, axis=1) * (FFT_SIZE * WINDOW)
        return self.framing.overlap_add(windows)


# Loudness: -21 / -18 / -15 / -12 LUFS gave +5.86 / +5.97 / +6.01 / +5.96 dB SI-SDR on mixes
# the benchmark does not score; below about -35 LUFS it starts to remove speech as noise.
ENGINE = FrameEngine(rate=RATE, hop=HOP, delay=DELAY, create=Dfn3State, soft_upsampling=True,
                     loudness_lufs=-15.0)
