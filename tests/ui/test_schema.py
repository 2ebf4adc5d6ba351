"""The OpenAPI schema: valid with no warnings, and it documents every registered service."""

import pytest
import yaml
from django.core.management import call_command

from audioservices.jobs import registry

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("kind", registry.all_kinds(), ids=lambda k: k.name)
def test_every_service_is_documented_with_its_own_shapes(schema, kind):
    paths = {path: ops for path, ops in schema["paths"].items() if path.startswith(f"/api/{kind.name}/")}
    upload = next(ops["post"] for ops in paths.values() if "post" in ops)
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    assert set(upload["responses"]) >= {"200", "400", "413", "415"}
    status = next(ops["get"] for path, ops in paths.items() if path.endswith("/status/"))
    job_ref = status["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    job = schema["components"]["schemas"][job_ref.rsplit("/", 1)[1]]
    output_keys = {key for key, field in kind.serializer().fields.items()
                   if field.source in kind.model.output_fields}
    assert output_keys
    assert {"id", "status", "progress", "report", "waveforms", *output_keys} <= set(job["properties"])
    form_fields = schema["components"]["schemas"][form.rsplit("/", 1)[1]]["properties"]
    assert any(field.get("format") == "binary" for field in form_fields.values())
    assert "404" in status["responses"]


def test_schema_and_docs_pages_answer(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
