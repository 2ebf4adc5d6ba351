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
from django.urls import path  # noqa: E402

from audioservices.jobs.consumers import ProcessingConsumer  # noqa: E402
from mixer.asgi_handler import route_frames  # noqa: E402

application = ProtocolTypeRouter({
    "http": route_frames(django_asgi_app),  # /process-audio: fewer thread hops (see module)
    # Origin checking is the WebSocket's CSRF protection: only our own hosts may connect.
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/processing/", ProcessingConsumer.as_asgi())]))
    ),
})
