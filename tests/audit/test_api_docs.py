"""The OpenAPI schema documents each /api/v1/ operation with its scope."""

import pytest

pytestmark = pytest.mark.django_db

NEW = ("/api/v1/users/", "/api/v1/orgs/", "/api/v1/portal-links")


@pytest.fixture
def operations(client):
    document = client.get("/api/schema/?format=json").json()
    return {
        (path, method): op
        for path, ops in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
    }


def test_every_operation_names_its_scope(operations):
    """Each operation's description ends with the scope an API key needs."""
    for key, op in operations.items():
        if key[0].startswith("/api/v1/org/"):
            assert "Org API key only" in op.get("description", ""), key
            continue
        assert "Scope: `" in op.get("description", ""), key


def test_directory_and_portal_are_grouped_and_have_examples(operations):
    """Tags events, directory, portal; each new operation has a summary and
    an example of its success response (and of its body when it takes one)."""
    tags = {tag for op in operations.values() for tag in op["tags"]}
    assert {"events", "directory", "portal"} <= tags
    new = {k: op for k, op in operations.items() if k[0].startswith(NEW)}
    assert len(new) >= 12
    for key, op in new.items():
        assert op["tags"] in (["directory"], ["portal"]), key
        assert op.get("summary"), key
        ok = [code for code in op["responses"] if code.startswith("2")]
        if ok == ["204"]:
            continue
        content = op["responses"][ok[0]]["content"]["application/json"]
        assert content.get("examples"), key
        if "requestBody" in op:
            assert op["requestBody"]["content"]["application/json"].get("examples"), key
