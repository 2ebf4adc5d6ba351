"""Denoise engines (spectral by default): real-time factor and peak RSS.

    python bench/denoise.py [--sizes 1 10 60] [--model spectral|spectral-stationary|dfn3|rnnoise]
"""

from common import RATE, main_with_options

from denoise.engine import ENGINE_NAMES, denoise


def add_options(parser) -> None:
    parser.add_argument("--model", choices=ENGINE_NAMES, default="spectral")


def run(audio, args) -> None:
    denoise(audio, sample_rate=RATE, model=args.model)


if __name__ == "__main__":
    main_with_options(__file__, lambda args: f"denoise {args.model}", run, add_options)
