"""The OpenAPI schema documents every export-location operation."""

import pytest

PREFIX = "/api/v1/export-locations/"
# (path, method): the operations that take a body.
WITH_BODY = {
    (PREFIX, "post"),
    (PREFIX + "{id}/", "put"),
    (PREFIX + "{id}/", "patch"),
    (PREFIX + "{id}/replay/", "post"),
}


@pytest.fixture
def operations(client, db):
    document = client.get("/api/schema/?format=json").json()
    found = {
        (path, method): op
        for path, ops in document["paths"].items()
        if path.startswith(PREFIX)
        for method, op in ops.items()
    }
    assert len(found) == 10  # CRUD (6), verify, runs, run, replay
    return found


def test_every_operation_has_the_tag_and_a_summary(operations):
    """Tag export-locations (not "v1"), a summary each, no two alike."""
    for key, op in operations.items():
        assert op["tags"] == ["export-locations"], key
        assert op.get("summary"), key
    summaries = [op["summary"] for op in operations.values()]
    assert len(set(summaries)) == len(summaries)


def test_every_operation_has_response_examples_and_bodies_request_ones(operations):
    """Each success response has an example; each body operation one too."""
    for key, op in operations.items():
        ok = [code for code in op["responses"] if code.startswith("2")]
        if ok == ["204"]:
            continue  # delete: no content
        content = op["responses"][ok[0]]["content"]["application/json"]
        assert content.get("examples"), key
        if key in WITH_BODY:
            body = op["requestBody"]["content"]["application/json"]
            assert body.get("examples"), key
            assert op["responses"]["400"]["content"]["application/json"]["examples"]


def test_create_examples_cover_each_destination_and_hide_secrets(operations):
    """S3, Datadog, Splunk and webhook create examples; secrets write-only."""
    create = operations[(PREFIX, "post")]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    destinations = {e["value"].get("destination", "s3") for e in examples.values()}
    assert destinations == {"s3", "datadog", "splunk", "webhook"}
    [response] = create["responses"]["201"]["content"]["application/json"][
        "examples"
    ].values()
    assert "destination_secret" not in response["value"]
    assert "secret_access_key" not in response["value"]
