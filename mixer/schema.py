"""Tells drf-spectacular that ApiKeyAuthentication is an HTTP bearer scheme (for /api/docs/)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "mixer.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key from "
                "/accounts/api-keys/, the admin, or `manage.py create_api_key`."}


class MobileTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "mixer.mobile.MobileTokenAuthentication"
    name = "MobileSessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A mobile session token "
                "(`mst_…`) from POST /mobile/session; it acts as the key that issued it."}
