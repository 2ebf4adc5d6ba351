"""Boost engine (gain + true-peak limiter + loudness report): real-time factor and peak RSS.

    python bench/boost.py [--sizes 1 10 60]
"""

from common import RATE, main

from audioservices.audio.loudness import BOOST_GAIN_DB, boost


def run(audio) -> None:
    # 0.1 peak + 14 dB: loud enough that the limiter works on every peak.
    boost(audio, sample_rate=RATE, gain_db=BOOST_GAIN_DB["5x"])


if __name__ == "__main__":
    main(__file__, "boost 5x", run)
