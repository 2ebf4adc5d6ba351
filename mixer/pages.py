"""The "API keys" page for logged-in users: list, create (the key is shown once), revoke.

Mounted at ``/accounts/api-keys/``. New keys get the standard tier; staff change tiers in the
admin. Another user's key id answers 404, like a missing one.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from mixer import selectors, services

MAX_NAME = 100


@login_required
@require_http_methods(["GET", "POST"])
def api_keys_page(request):
    context = {"new_key": None, "error": None}
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name or len(name) > MAX_NAME:
            context["error"] = f"Give the key a name of 1 to {MAX_NAME} characters."
        else:
            _, context["new_key"] = services.api_key_create(owner=request.user, name=name)
    context["keys"] = selectors.api_key_list(owner=request.user)
    return render(request, "mixer/api_keys.html", context,
                  status=400 if context["error"] else 200)


@login_required
@require_http_methods(["POST"])
def api_key_revoke_page(request, key_id: int):
    key = get_object_or_404(selectors.api_key_list(owner=request.user), pk=key_id)
    services.api_key_revoke(key=key)
    return render(request, "mixer/api_keys.html",
                  {"keys": selectors.api_key_list(owner=request.user), "revoked": key})


urlpatterns = [
    path("", api_keys_page, name="api-keys"),
    path("<int:key_id>/revoke/", api_key_revoke_page, name="api-key-revoke"),
]
