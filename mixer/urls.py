"""Mixer routes. ``audioservices/urls.py`` mounts ``urlpatterns`` twice (at the spec's paths
and under ``/v1/``) and ``fallback_patterns`` last of all, so an unknown path answers the
spec's 404 ``ENDPOINT_NOT_FOUND``. Add new spec-003 endpoints here, not in the root urls.
A trailing slash is accepted too. ``/stream-audio`` is not here: it streams its request body,
so a small ASGI app in front of Django answers it (``mixer/stream_asgi.py``)."""

from django.urls import re_path

from mixer import api, features_api, mobile_api, webhook_api

urlpatterns = [
    re_path(r"^process-audio/?$", api.ProcessAudioApi.as_view(), name="process-audio"),
    re_path(r"^config/?$", api.ConfigApi.as_view(), name="config"),
    re_path(r"^health/?$", api.HealthApi.as_view(), name="health"),
    re_path(r"^metrics/?$", api.MetricsApi.as_view(), name="metrics"),
    re_path(r"^stats/?$", api.StatsApi.as_view(), name="stats"),
    re_path(r"^extract-features/?$", features_api.ExtractFeaturesApi.as_view(),
            name="extract-features"),
    re_path(r"^classify-genre/?$", features_api.ClassifyGenreApi.as_view(),
            name="classify-genre"),
    re_path(r"^mobile/session/?$", mobile_api.MobileSessionApi.as_view(), name="mobile-session"),
    re_path(r"^webhooks/?$", webhook_api.WebhookListApi.as_view(), name="webhooks"),
    re_path(r"^webhooks/(?P<webhook_id>[0-9]{1,18})/?$", webhook_api.WebhookDetailApi.as_view(),
            name="webhook-detail"),
    re_path(r"^webhooks/(?P<webhook_id>[0-9]{1,18})/deliveries/?$",
            webhook_api.WebhookDeliveriesApi.as_view(), name="webhook-deliveries"),
]

# The site's own prefixes keep Django's behaviour (HTML pages, APPEND_SLASH redirects).
SITE_PREFIXES = ("api", "admin", "accounts", "media", "static", "ws")
fallback_patterns = [
    re_path(rf"^(?!(?:{'|'.join(SITE_PREFIXES)})(?:/|$)).+$", api.EndpointNotFoundApi.as_view(),
            name="mixer-endpoint-not-found"),
]
