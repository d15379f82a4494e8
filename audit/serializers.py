"""API input/output shapes. DRF only at the edges: the ingest hot path
validates in ``audit.ingest``; these classes render output and describe the
API in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from audit import formats
from audit.models import AuditEvent, CausedByType
from audit.spec import SPEC, Kind, SpecField


def event_as_spec(event: AuditEvent, description: str | None = None) -> dict[str, Any]:
    """One event in the SPEC format, with sub-second time and its description."""
    data = formats.event_as_spec(event, precise_time=True)
    if description is not None:
        data["description"] = description
    return data


def _output_field(field: SpecField) -> serializers.Field:
    """How the API documents one SPEC field it returns."""
    if field.name == "caused_by_type":
        return serializers.ChoiceField(choices=CausedByType.choices)
    if field.name == "event_data":
        return serializers.DictField(
            help_text='{"<event_type>": {...details...}}', child=serializers.JSONField()
        )
    nullable = field.name not in ("id", "event_type")
    return {
        Kind.ID: lambda: serializers.UUIDField(allow_null=nullable),
        Kind.TEXT: lambda: serializers.CharField(allow_null=nullable),
        Kind.IP: lambda: serializers.IPAddressField(allow_null=True),
        Kind.JSON: lambda: serializers.JSONField(allow_null=True),
        Kind.TIME: lambda: serializers.FloatField(help_text="Unix seconds."),
    }[field.kind]()


# Input fields that differ from their kind's default (types, help texts).
_INPUT_FIELDS: dict[str, Callable[[], serializers.Field]] = {
    "id": lambda: serializers.UUIDField(
        required=False,
        help_text="Client-chosen UUID: sending it again stores nothing new.",
    ),
    "user_email": lambda: serializers.EmailField(required=False, allow_null=True),
    "event_type": lambda: serializers.CharField(help_text="A catalog or custom type."),
    "event_data": lambda: serializers.DictField(
        required=False,
        child=serializers.DictField(),
        help_text='{"<event_type>": {...details...}}; default: no details.',
    ),
    "created_at": lambda: serializers.FloatField(
        required=False,
        help_text="Unix seconds or an ISO 8601 string (UTC if no offset); "
        "default: now. At most AUDITSITE_INGEST_MAX_FUTURE_SECONDS ahead.",
    ),
    "caused_by_type": lambda: serializers.ChoiceField(
        choices=CausedByType.choices,
        required=False,
        help_text="Default: ApiKey, with caused_by_id the key's prefix.",
    ),
}


def _input_field(field: SpecField) -> serializers.Field:
    """How the API accepts one SPEC field on ingestion (every one optional)."""
    if field.name in _INPUT_FIELDS:
        return _INPUT_FIELDS[field.name]()
    return {
        Kind.ID: lambda: serializers.UUIDField(required=False, allow_null=True),
        Kind.TEXT: lambda: serializers.CharField(required=False, allow_null=True),
        Kind.IP: lambda: serializers.IPAddressField(required=False, allow_null=True),
        Kind.JSON: lambda: serializers.DictField(required=False, allow_null=True),
    }[field.kind]()


class EventSerializer(serializers.Serializer):
    """An audit event as the API returns it (SPEC section 3 plus description)."""

    # One declared field per SPEC field, in order (a class body's namespace
    # is a plain dict, so this is the same as writing them out one by one).
    locals().update({f.name: _output_field(f) for f in SPEC})
    description = serializers.CharField(
        help_text="Human sentence rendered from the event type's template."
    )

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        descriptions = self.context.get("descriptions", {})
        return event_as_spec(instance, descriptions.get(instance.seq))


class EventInputSerializer(serializers.Serializer):
    """One event to ingest (schema only; ``audit.ingest`` validates).

    Give the user by ``user_id`` and/or ``user_email`` and the org by
    ``org_id`` and/or ``org_name``; they must exist, and the missing half is
    filled in. A user event needs a user, an org event an org.
    """

    locals().update({f.name: _input_field(f) for f in SPEC})  # as above


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text="Events written by this request.")
    already_stored = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="Ids sent before: stored once, not written again.",
    )
    ids = serializers.ListField(
        child=serializers.UUIDField(), help_text="Every item's id, in order."
    )


class IngestErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in the batch, from 0.")
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class IngestRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = IngestErrorSerializer(many=True)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
