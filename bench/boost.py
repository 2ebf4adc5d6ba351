"""Boost engine (gain + true-peak limiter + loudness report): real-time factor and peak RSS.

    python bench/boost.py [--sizes 1 10 60]
"""

import argparse
import sys

from common import RATE, child_main, table

from audioservices.audio.loudness import BOOST_GAIN_DB, boost


def run(audio) -> None:
    # 0.1 peak + 14 dB: loud enough that the limiter works on every peak.
    boost(audio, sample_rate=RATE, gain_db=BOOST_GAIN_DB["5x"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(run)
    else:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 60])
        table(__file__, "boost 5x", parser.parse_args().sizes)
