"""/health (real DB, Redis and worker checks), /stats and /metrics counting real requests."""

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from tests.mixer.conftest import frames

pytestmark = pytest.mark.django_db


def test_health_is_public_and_checks_the_real_parts(celery_worker, settings):
    settings.MIXER_HEALTH_WORKER_TIMEOUT_S = 10.0  # a busy CI machine; the first reply ends it
    response = APIClient().get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["components"] == {"database": "healthy", "redis": "healthy", "worker": "healthy",
                                  "audio": "healthy", "ai": "healthy"}  # the committed model
    assert body["version"] == "1.0.0"
    assert body["region"] == "local"
    assert body["uptime"] >= 0
    assert body["timestamp"] > 1_600_000_000_000


def test_health_without_redis_is_unhealthy_503(settings):
    settings.REDIS_URL = "unix:///nonexistent/redis.sock"
    settings.MIXER_HEALTH_WORKER_TIMEOUT_S = 0.05
    response = APIClient().get("/v1/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["components"]["redis"] == "unhealthy"


def test_stats_count_this_keys_requests(api, alice, make_key, key_client):
    x = frames(3)
    api.post("/process-audio", {"audioBuffer": x[0].tolist()}, format="json")
    api.post("/process-audio", {"audioBuffer": x[1].tolist(), "config": {"genre": "rock"}},
             format="json")
    api.post("/v1/process-audio", {"audioBuffer": x[2].tolist(), "config": {"genre": "rock"}},
             format="json")
    api.post("/process-audio", {"audioBuffer": [0.1]}, format="json")  # an error
    body = api.get("/stats").json()
    assert body["requests"] == {"total": 4, "today": 4, "errors": 1, "errorRate": 0.25}
    processing = body["processing"]
    assert processing["totalSamples"] == 3 * 960
    assert 0 < processing["averageLatency"] <= processing["p99Latency"]
    assert processing["p95Latency"] <= processing["p99Latency"]
    assert body["genres"] == {"speech": 0, "rock": 2, "jazz": 0, "electronic": 0, "classical": 0}
    others = key_client(make_key(alice, name="other")).get("/stats").json()
    assert others["requests"]["total"] == 0  # this request is counted after its answer


def samples_of(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_real_requests(api):
    before = samples_of(api.get("/metrics").content.decode())
    frame = frames(1)[0].tolist()
    for _ in range(2):
        api.post("/process-audio", {"audioBuffer": frame}, format="json")
    api.post("/process-audio", {"audioBuffer": [1.0]}, format="json")
    after = api.get("/metrics")
    assert after["Content-Type"].startswith("text/plain")
    now = samples_of(after.content.decode())

    def delta(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return now.get(key, 0.0) - before.get(key, 0.0)

    ok = {"method": "POST", "endpoint": "/process-audio", "status": "200"}
    assert delta("ai_mixer_requests_total", **ok) == 2
    assert delta("ai_mixer_requests_total", **{**ok, "status": "400"}) == 1
    assert delta("ai_mixer_requests_total", method="GET", endpoint="/metrics", status="200") == 1
    assert delta("ai_mixer_frames_processed_total") == 2
    assert delta("ai_mixer_processing_duration_seconds_count") == 2
    assert delta("ai_mixer_processing_duration_seconds_bucket", le="+Inf") == 2


def test_metrics_and_stats_need_a_key():
    assert APIClient().get("/metrics").status_code == 401
    assert APIClient().get("/stats").status_code == 401
