"""``GET /wasm``: the mixer chain as WebAssembly; ``/mixer/live``: the page that runs it.

``/wasm`` is public on purpose: the module is the same bytes for everyone, holds no user
data (its source is in the repository), and the spec's ``Cache-Control: public`` asks shared
caches and CDNs to keep it, which a per-user answer would forbid. It reads no session, so
no ``Vary: Cookie`` spoils that caching.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from mixer.wasm_module import built_module

WASM_CACHE_CONTROL = "public, max-age=86400"
UNITS = {
    "gain": "dB", "threshold": "dBFS", "attack": "ms", "hold": "ms", "release": "ms",
    "floor": "dB", "ratio": ":1", "knee": "dB", "makeupGain": "dB", "low": "dB", "mid": "dB",
    "high": "dB", "ceiling": "dBFS",
}  # fmt: skip


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x"."""
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return "*" in tags or any(tag.removeprefix("W/") == f'"{etag}"' for tag in tags)


@require_safe
def wasm_module(request: HttpRequest) -> HttpResponse:
    module = built_module()
    headers = {"ETag": f'"{module.etag}"', "Cache-Control": WASM_CACHE_CONTROL}
    if _etag_matches(request.headers.get("If-None-Match"), module.etag):
        return HttpResponseNotModified(headers=headers)
    headers["Content-Length"] = str(len(module.content))
    return HttpResponse(module.content, content_type="application/wasm", headers=headers)


def settings_schema(section: type) -> list[dict[str, Any]]:
    """The config's fields for the page's controls: key, kind, range and unit, nested."""
    fields = []
    keys = section().to_dict()  # camelCase keys, in field order
    for key, spec in zip(keys, dataclasses.fields(section), strict=True):
        if "range" in spec.metadata:
            low, high = spec.metadata["range"]
            fields.append(
                {"key": key, "kind": "number", "min": low, "max": high, "unit": UNITS.get(key, "")}
            )
        elif isinstance(spec.default, bool):
            fields.append({"key": key, "kind": "bool"})
        else:
            fields.append(
                {
                    "key": key,
                    "kind": "section",
                    "fields": settings_schema(type(spec.default_factory())),
                }
            )
    return fields


class MixerLivePage(LoginRequiredMixin, TemplateView):
    """Microphone or file → AudioWorklet running /wasm → speakers, with controls and meters."""

    template_name = "mixer/live.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Imported here, not with the URLconf: mixer.dsp brings numba (~1 s), which /wasm
        # and every other URL of the site can do without.
        from mixer import dsp
        from mixer.presets import PRESETS

        context = super().get_context_data(**kwargs)
        context["mixer_config"] = {
            # the hash in the URL makes a rebuilt module bypass day-long cached copies
            "wasmUrl": f"{reverse('wasm')}?v={built_module().etag[:16]}",
            "sampleRate": dsp.SAMPLE_RATE,
            "frameSize": dsp.FRAME_SIZE,
            "schema": settings_schema(dsp.ChainSettings),
            "defaults": dsp.ChainSettings().to_dict(),
            "presets": {genre: preset.to_dict() for genre, preset in PRESETS.items()},
        }
        return context
