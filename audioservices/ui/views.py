"""The home page: the "Denoise a file" button and its modal, configured from the server."""

from __future__ import annotations

from django.conf import settings
from django.views.generic import TemplateView

from audioservices.audio.errors import UNSUPPORTED_TYPE
from audioservices.audio.validate import FORMATS
from audioservices.jobs.errors import TOO_LARGE
from audioservices.jobs.uploads import upload_limit_mb
from audioservices.ui.tabs import tabs_as_json

POLL_INTERVAL_MS = 4000  # the spec asks clients to poll every 3-5 s


def page_config() -> dict:
    """What the page's script needs; messages are the API's own, word for word."""
    return {
        "tabs": tabs_as_json(),
        "maxUploadBytes": settings.UPLOAD_MAX_BYTES,
        "formats": list(FORMATS),
        "messages": {"tooLarge": TOO_LARGE.format(limit=upload_limit_mb()),
                     "unsupported": UNSUPPORTED_TYPE},
        "socketPath": "/ws/processing/",
        "pollIntervalMs": POLL_INTERVAL_MS,
    }


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context["services_config"] = page_config()
        return context
