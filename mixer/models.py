"""API keys (stored hashed) and the DSP configuration each key keeps."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard (1000 requests/min)"
    PREMIUM = "premium", "Premium (10000 requests/min)"
    ENTERPRISE = "enterprise", "Enterprise (unlimited)"


class ApiKey(models.Model):
    """A bearer key. Only its SHA-256 is stored: the key itself is shown once, at creation.

    SHA-256 without a salt is enough here because keys are 240 random bits, not passwords: no
    dictionary to attack, and a lookup by hash stays one indexed query per request.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="api_keys")
    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class KeyConfig(models.Model):
    """The DSP settings a key saved with ``PUT /config`` (camelCase, as ChainSettings.to_dict)."""

    api_key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, related_name="config")
    dsp = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"config of {self.api_key}"
