import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from auditsite.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close
    the test's database connection; Django's test client avoids it this way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@override_settings(AUDITSITE_API_THROTTLE_RATE="")
def test_api_never_answers_with_a_server_error(api_key, keep_test_connection):
    """Schemathesis: valid and invalid generated requests to every operation
    of the live app (in-process WSGI, real test database) never get a 5xx."""
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    headers = {"Authorization": f"Bearer {api_key.raw_key}"}
    calls = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=25,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                response = case.call(headers=headers)
                calls.append(response.status_code)
                assert response.status_code < 500, (
                    case.method,
                    case.path,
                    case.body,
                    response.text[:500],
                )

            check()
    # Something was exercised on each of the three operations, both ways.
    assert len(calls) >= 6 * 10


def test_schema_is_openapi_3_and_documents_the_api(client, db):
    """/api/schema/ is an OpenAPI 3 document of the events API with Bearer auth."""
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/events/", "/api/v1/events/{id}/"} <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer as_...`.",
    }


def test_docs_page_loads_swagger_ui_from_our_own_static_files(client, db):
    """/api/docs/ serves Swagger UI from local static files, not a CDN."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_schema_says_page_size_is_capped(client, db):
    """The schema states the page size cap and the response's `page_size` field."""
    document = client.get("/api/schema/?format=json").json()
    listing = document["paths"]["/api/v1/events/"]["get"]
    parameter = next(p for p in listing["parameters"] if p["name"] == "page_size")
    assert "capped at 1000" in parameter["description"]
    body = listing["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = document["components"]["schemas"][body["$ref"].split("/")[-1]]
    assert "page_size" in body["required"]
