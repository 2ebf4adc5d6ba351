"""Denoise engine (noisereduce, non-stationary, blocks): real-time factor and peak RSS.

    python bench/denoise.py [--sizes 1 10 60]
"""

import argparse
import sys

from common import RATE, child_main, table

from denoise.engine import denoise


def run(audio) -> None:
    denoise(audio, sample_rate=RATE)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(run)
    else:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 60])
        table(__file__, "denoise", parser.parse_args().sizes)
