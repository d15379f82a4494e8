"""The one SPEC column list: everything that lists event fields derives from it."""

from audit import demo, ingest, spec
from audit.serializers import EventInputSerializer, EventSerializer
from exports.rows import EXPORT_COLUMNS
from tests.spec import SPEC_EVENT_FIELDS


def test_spec_fields_are_the_specs():
    """audit.spec lists SPEC section 3's fields, in its order."""
    assert spec.SPEC_FIELDS == SPEC_EVENT_FIELDS
    assert spec.CSV_COLUMNS == (*SPEC_EVENT_FIELDS, "category", "description")


def test_api_serializers_have_every_spec_field_in_order():
    """The API's output and input shapes list the SPEC fields, in order."""
    assert tuple(EventSerializer().fields) == (*SPEC_EVENT_FIELDS, "description")
    assert tuple(EventInputSerializer().fields) == SPEC_EVENT_FIELDS


def test_writers_of_rows_use_the_stored_columns():
    """Ingestion, the seed and the export rows take their columns from audit.spec."""
    assert ingest.COLUMNS == demo.COLUMNS == spec.STORED_COLUMNS
    assert EXPORT_COLUMNS == (*spec.ROW_COLUMNS, "txid", "seq")
    assert spec.ROW_COLUMNS[: len(spec.SPEC)] == spec.SPEC_COLUMNS


def test_actor_columns_fill_every_cause_column():
    """An actor fills the caused_by_* and impersonator_* columns, nothing else."""
    from audit.actors import Actor

    columns = spec.actor_columns(Actor.system())
    assert tuple(columns) == spec.CAUSE_COLUMNS
    assert columns["caused_by_type"] == "System"
    assert columns["caused_by_metadata"] == {"name": "auditsite"}
