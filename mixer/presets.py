"""Genre starting points for the mixer chain (the spec's ``config.genre``).

A request's own ``config`` fields override these:
``ChainSettings.from_dict(config, base=preset_for(genre))``. ``"auto"`` is not a preset: the
caller classifies first and then picks one.
"""

from __future__ import annotations

from types import MappingProxyType

from mixer.dsp import ChainSettings


def _preset(config: dict[str, object]) -> ChainSettings:
    return ChainSettings.from_dict(config)


PRESETS: MappingProxyType[str, ChainSettings] = MappingProxyType(
    {
        # Voice: gate out room noise between phrases, steady 3:1 levelling, cut low rumble
        # and boost presence so words stay intelligible.
        "speech": _preset(
            {
                "noiseGate": {"threshold": -45, "attack": 1, "hold": 50, "release": 150},
                "compressor": {"ratio": 3, "threshold": -18, "attack": 5, "release": 80},
                "eq": {"low": -4, "mid": 2, "high": 1},
                "limiter": {"ceiling": -1},
            }
        ),
        # Rock: dense mix, 4:1 with medium attack to keep drum transients, a loose gate for
        # amp hum, a little weight and bite from the shelves.
        "rock": _preset(
            {
                "noiseGate": {"threshold": -55},
                "compressor": {"ratio": 4, "threshold": -16, "attack": 10, "release": 120},
                "eq": {"low": 3, "mid": -1, "high": 2},
                "limiter": {"ceiling": -0.5},
            }
        ),
        # Jazz: acoustic dynamics and room tails matter, so no gate and only gentle 2:1
        # control with slow timing; a touch of warmth and air.
        "jazz": _preset(
            {
                "noiseGate": {"enabled": False},
                "compressor": {"ratio": 2, "threshold": -24, "attack": 20, "release": 250},
                "eq": {"low": 1, "mid": 0, "high": 1.5},
                "limiter": {"ceiling": -1},
            }
        ),
        # Electronic: already clean and loud by design; firm 6:1 with fast attack for a
        # steady level, extra sub and top, limiter close to full scale.
        "electronic": _preset(
            {
                "noiseGate": {"enabled": False},
                "compressor": {"ratio": 6, "threshold": -14, "attack": 1, "release": 60},
                "eq": {"low": 4, "mid": -2, "high": 3},
                "limiter": {"ceiling": -0.3},
            }
        ),
        # Classical: the widest dynamic range; barely touch it (1.5:1 far down, slow),
        # flat EQ, no gate that would chop reverb tails, limiter only as a safety net.
        "classical": _preset(
            {
                "noiseGate": {"enabled": False},
                "compressor": {"ratio": 1.5, "threshold": -30, "attack": 30, "release": 500},
                "eq": {"low": 0, "mid": 0, "high": 0},
                "limiter": {"ceiling": -1, "release": 200},
            }
        ),
    }
)
GENRES: tuple[str, ...] = tuple(PRESETS)


def preset_for(genre: str) -> ChainSettings:
    """The preset for ``genre`` (one of :data:`GENRES`); KeyError for anything else."""
    try:
        return PRESETS[genre]
    except KeyError:
        raise KeyError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}") from None
