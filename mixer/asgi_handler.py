"""``POST /process-audio`` under ASGI: the lean path (``mixer/frame_asgi.py``) first, and for
what it hands on, Django's stack with three thread hops instead of about seven.

Django's own ASGI handler runs a sync middleware stack like ours by hopping to a thread for
the stack, back to the event loop for the (async) inner handler, to a thread again for
``CsrfViewMiddleware.process_view`` and once more for the view, and it starts (and joins) a
new thread for every request (asgiref's ``ThreadSensitiveContext``). py-spy on the server
under load showed that bookkeeping above the view's own cost. For the frame endpoint, which
is short, sync and CPU-bound, :class:`SyncStackAsgiHandler` builds the same middleware
stack in sync mode, as under WSGI, and runs stack + view in one hop on the process's single
shared sync thread (plus Django's hops for the request_started signal and ``close()``).

Everything else the request sees is Django's: the same settings, middleware, URLconf, views
and error handling. Other paths (uploads, /health with its Celery ping, /extract-features
with up to 60 s of audio) keep Django's handler and a thread of their own per request.
"""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

FRAME_PATHS = re.compile(r"^/(?:v1/)?process-audio/?$")


class SyncStackAsgiHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)  # the WSGI-style stack: no inner async hop

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # No per-request ThreadSensitiveContext: thread-sensitive work (this stack, the
        # request signals, DB connections) stays on the one shared sync thread.
        await self.handle(scope, receive, send)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def route_frames(default_app):
    """An ASGI app: frame requests to the lean :class:`mixer.frame_asgi.FrameApp` (which hands
    what it does not answer itself to :class:`SyncStackAsgiHandler`), the rest to
    ``default_app`` (Django's handler)."""
    from mixer.frame_asgi import FrameApp  # imports DRF views: only once Django is set up

    frames_app = FrameApp(fallback=SyncStackAsgiHandler())

    async def app(scope, receive, send) -> None:
        if scope["type"] == "http" and FRAME_PATHS.match(scope["path"]):
            await frames_app(scope, receive, send)
        else:
            await default_app(scope, receive, send)

    return app
