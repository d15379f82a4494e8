from importlib import import_module

import pytest
from django_q.models import Schedule


@pytest.mark.django_db
def test_every_migrated_schedule_names_a_task_that_exists():
    """Each schedule the migrations create points at an importable task."""
    funcs = dict(Schedule.objects.values_list("name", "func"))
    assert funcs["exports-digests-hourly"] == "exports.tasks.digests_write_all"
    assert funcs["audit-retention-purge-daily"] == "exports.tasks.events_purge"
    for func in funcs.values():
        module, name = func.rsplit(".", 1)
        assert callable(getattr(import_module(module), name))
