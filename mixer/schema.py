"""Tells drf-spectacular that ApiKeyAuthentication is an HTTP bearer scheme (for /api/docs/)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "mixer.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key from "
                "/accounts/api-keys/, the admin, or `manage.py create_api_key`."}
