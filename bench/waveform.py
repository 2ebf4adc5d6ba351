"""Waveform pictures (envelope of a view + PNG), as the worker draws them per file.

    python bench/waveform.py [--sizes 1 10 60]

Peak RSS minus the audio's own size shows whether the envelope copied the array.
"""

from common import main

from audioservices.audio.waveform import envelope, render_png


def run(audio) -> None:
    render_png(envelope(audio))


if __name__ == "__main__":
    main(__file__, "waveform PNG", run)
