import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("audit", "0013_customer_export")]
AFTER = [("audit", "0014_apikey_scopes")]


@pytest.mark.django_db(transaction=True)
def test_keys_from_before_scopes_keep_every_scope_and_are_marked():
    """Migration 0014 gives existing keys all seven scopes and the legacy mark."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_apps.get_model("audit", "ApiKey").objects.create(
        name="old", prefix="as_legacy0", key_hash="x" * 64
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from audit.models import ApiKey
    from audit.scopes import ALL_SCOPES

    old = ApiKey.objects.get(prefix="as_legacy0")
    assert old.scopes == list(ALL_SCOPES)
    assert old.legacy_all_scopes is True
    new = ApiKey.objects.create(name="new", prefix="as_new00000", key_hash="y" * 64)
    new.refresh_from_db()
    assert new.scopes == ["events:write"]
    assert new.legacy_all_scopes is False
