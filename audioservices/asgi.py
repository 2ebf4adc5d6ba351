"""HTTP and WebSocket entry point (daphne or uvicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "audioservices.settings")
django_asgi_app = get_asgi_application()

from mixer.warmup import warm_up_kernels  # noqa: E402

warm_up_kernels()  # compile/load the mixer's numba kernels now, not on the first request

# Imported after Django is set up: these touch models and settings.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from audioservices.jobs.consumers import ProcessingConsumer  # noqa: E402
from mixer.asgi_handler import route_frames  # noqa: E402
from mixer.consumers import MixerSocketConsumer  # noqa: E402
from mixer.stream_asgi import with_stream_audio  # noqa: E402

application = ProtocolTypeRouter({
    # POST /stream-audio reads its body as it arrives, so it is answered before Django;
    # /process-audio takes a shorter path through the same middleware (mixer/asgi_handler).
    "http": with_stream_audio(route_frames(django_asgi_app)),
    "websocket": URLRouter([
        # Origin checking is the session socket's CSRF protection: only our own hosts.
        path("ws/processing/", AllowedHostsOriginValidator(
            AuthMiddlewareStack(ProcessingConsumer.as_asgi()))),
        # The mixer socket authenticates by API key, never by cookie: any origin may use it.
        re_path(r"^(?:v1/)?ws/?$", MixerSocketConsumer.as_asgi()),
    ]),
})
