from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from audioservices.jobs.errors import api_not_found
from audioservices.jobs.media import MediaDownloadApi
from audioservices.ui.views import HomeView
from mixer.urls import fallback_patterns as mixer_fallback_patterns
from mixer.wasm_views import MixerLivePage, wasm_module

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/denoise/", include("denoise.urls")),
    path("api/boost/", include("boost.urls")),
    path("api/vocal/", include("vocal.urls")),
    path("api/speaker/", include("speaker.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("media/<path:name>", MediaDownloadApi.as_view(), name="media"),
    path("accounts/api-keys/", include("mixer.pages")),
    path("wasm", wasm_module, name="wasm"),
    path("v1/wasm", wasm_module, name="v1-wasm"),
    path("mixer/live", MixerLivePage.as_view(), name="mixer-live"),
    path("v1/", include(("mixer.urls", "mixer"), namespace="mixer-v1")),
    path("", include(("mixer.urls", "mixer"), namespace="mixer")),
    re_path(r"^(api|media)/", api_not_found),  # a JSON 404 for other API/media paths
]
urlpatterns += mixer_fallback_patterns  # keep last: unknown paths → 404 ENDPOINT_NOT_FOUND
