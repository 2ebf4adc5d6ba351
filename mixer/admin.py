from django.contrib import admin, messages

from mixer import services
from mixer.models import ApiKey, KeyConfig


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """A key added here gets its secret on save; the secret is shown once, in a message."""

    list_display = ("name", "prefix", "owner", "tier", "created_at", "last_used_at", "revoked_at")
    list_filter = ("tier",)
    search_fields = ("name", "prefix", "owner__username")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("owner", "name", "tier", *readonly_fields)
    actions = ("revoke",)

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        raw = None if change else services.api_key_assign_secret(key=obj)
        super().save_model(request, obj, form, change)
        if raw:
            messages.warning(request, f"API key for {obj.owner}: {raw} (copy it now; it is "
                                      "stored hashed and will not be shown again)")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        for key in queryset.filter(revoked_at=None):
            services.api_key_revoke(key=key)  # also forgets cached keys (mixer.keycache)


@admin.register(KeyConfig)
class KeyConfigAdmin(admin.ModelAdmin):
    list_display = ("api_key", "updated_at")
