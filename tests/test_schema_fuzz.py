"""Schemathesis, in process, against the drf-spectacular schema: every operation of the
published API is called with generated requests (as a logged-in user with a CSRF token);
no response is a server error and every response matches the schema."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.django_db(transaction=True)  # the WSGI handler closes connections
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}


@pytest.fixture
def session_cookies(alice) -> dict:
    client = Client()
    client.force_login(alice)
    client.get("/accounts/login/")  # sets csrftoken
    return {name: morsel.value for name, morsel in client.cookies.items()}


def test_the_schema_lists_the_services():
    assert any("/api/denoise/upload/" in label for label in OPERATIONS)
    assert any("/api/boost/files/{file_id}/status/" in label for label in OPERATIONS)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_answers_within_its_schema(label, session_cookies):
    @given(case=OPERATIONS[label].as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case):
        # Uploads are schema-valid binaries that the server checks by content (415 for what is
        # not audio), which no schema can express: "valid data must be accepted" is excluded.
        case.call_and_validate(cookies=session_cookies,
                               headers={"X-CSRFToken": session_cookies["csrftoken"]},
                               excluded_checks=[positive_data_acceptance])

    call()
