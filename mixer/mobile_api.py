"""``POST /mobile/session`` (spec 003, Mobile SDK): a device trades the API key for a session."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from mixer import dsp, errors, inputs, mobile, selectors
from mixer.api import JSON_IN_OUT, MixerApi
from mixer.auth import ApiKeyAuthentication
from mixer.errors import MixerError
from mixer.models import ApiKey
from mixer.stream_session import session_id_new


class CapabilitiesSerializer(serializers.Serializer):
    sampleRate = serializers.IntegerField(min_value=8000, max_value=384000, required=False)
    channels = serializers.IntegerField(min_value=1, max_value=8, required=False)
    bitDepth = serializers.ChoiceField(choices=[8, 16, 24, 32], required=False)


class SessionInputSerializer(serializers.Serializer):
    deviceId = serializers.CharField(max_length=200)
    platform = serializers.ChoiceField(choices=["ios", "android"])
    sdkVersion = serializers.RegexField(r"^[0-9A-Za-z.+-]{1,32}$")
    capabilities = CapabilitiesSerializer(required=False)


def device_config(*, key: ApiKey, capabilities: dict[str, int]) -> dict[str, Any]:
    """What the device should send: 48 kHz mono float32 in 960-sample frames. When its own
    capabilities differ it must resample / downmix / convert first (the chain is fixed)."""
    rate = capabilities.get("sampleRate", dsp.SAMPLE_RATE)
    channels = capabilities.get("channels", 1)
    return {
        "sampleRate": dsp.SAMPLE_RATE, "frameSize": dsp.FRAME_SIZE, "channels": 1,
        "bitDepth": 32, "sampleFormat": "float32le",
        "resample": rate != dsp.SAMPLE_RATE, "downmix": channels > 1,
        "dsp": selectors.key_settings(key=key).to_dict(),
        "endpoints": {"process": "/v1/process-audio", "stream": "/v1/stream-audio",
                      "websocket": "/v1/ws"},
    }


class MobileSessionApi(MixerApi):
    endpoint = "/mobile/session"
    authentication_classes = [ApiKeyAuthentication]  # a session token cannot renew itself

    @JSON_IN_OUT
    def post(self, request: Request) -> Response:
        serializer = SessionInputSerializer(data=inputs.body_object(request.data))
        if not serializer.is_valid():
            raise MixerError(errors.INVALID_PARAMETER, "Invalid session request.",
                             details={"fields": inputs.field_errors(serializer.errors)})
        data = serializer.validated_data
        session = mobile.token_issue(key=request.auth, session_id=session_id_new("mob"))
        return Response({
            "sessionId": session.session_id, "token": session.token,
            "expiresAt": session.expires_at_ms,
            "config": {**device_config(key=request.auth,
                                       capabilities=data.get("capabilities", {})),
                       "platform": data["platform"]},
        })
