"""Denoise engine (noisereduce, non-stationary, blocks): real-time factor and peak RSS.

    python bench/denoise.py [--sizes 1 10 60]
"""

from common import RATE, main

from denoise.engine import denoise


def run(audio) -> None:
    denoise(audio, sample_rate=RATE)


if __name__ == "__main__":
    main(__file__, "denoise", run)
