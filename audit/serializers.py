"""API input/output shapes. DRF only at the edges: the ingest hot path
validates in ``audit.ingest``; these classes render output and describe the
API in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit import formats
from audit.models import AuditEvent, CausedByType


def event_as_spec(event: AuditEvent, description: str | None = None) -> dict[str, Any]:
    """One event in the SPEC format, with sub-second time and its description."""
    data = formats.event_as_spec(event, precise_time=True)
    if description is not None:
        data["description"] = description
    return data


class EventSerializer(serializers.Serializer):
    """An audit event as the API returns it (SPEC section 3 plus description)."""

    id = serializers.UUIDField()
    user_id = serializers.UUIDField(allow_null=True)
    user_email = serializers.CharField(allow_null=True)
    org_id = serializers.UUIDField(allow_null=True)
    org_name = serializers.CharField(allow_null=True)
    event_type = serializers.CharField()
    event_data = serializers.DictField(
        help_text='{"<event_type>": {...details...}}', child=serializers.JSONField()
    )
    created_at = serializers.FloatField(help_text="Unix seconds.")
    caused_by_type = serializers.ChoiceField(choices=CausedByType.choices)
    caused_by_id = serializers.CharField(allow_null=True)
    caused_by_metadata = serializers.JSONField(allow_null=True)
    caused_by_source_ip = serializers.IPAddressField(allow_null=True)
    caused_by_user_agent = serializers.CharField(allow_null=True)
    impersonator_id = serializers.CharField(allow_null=True)
    impersonator_metadata = serializers.JSONField(allow_null=True)
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

    id = serializers.UUIDField(
        required=False,
        help_text="Client-chosen UUID: sending it again stores nothing new.",
    )
    user_id = serializers.UUIDField(required=False, allow_null=True)
    user_email = serializers.EmailField(required=False, allow_null=True)
    org_id = serializers.UUIDField(required=False, allow_null=True)
    org_name = serializers.CharField(required=False, allow_null=True)
    event_type = serializers.CharField(help_text="A catalog or custom type.")
    event_data = serializers.DictField(
        required=False,
        child=serializers.DictField(),
        help_text='{"<event_type>": {...details...}}; default: no details.',
    )
    created_at = serializers.FloatField(
        required=False,
        help_text="Unix seconds or an ISO 8601 string (UTC if no offset); "
        "default: now. At most AUDITSITE_INGEST_MAX_FUTURE_SECONDS ahead.",
    )
    caused_by_type = serializers.ChoiceField(
        choices=CausedByType.choices,
        required=False,
        help_text="Default: ApiKey, with caused_by_id the key's prefix.",
    )
    caused_by_id = serializers.CharField(required=False, allow_null=True)
    caused_by_metadata = serializers.DictField(required=False, allow_null=True)
    caused_by_source_ip = serializers.IPAddressField(required=False, allow_null=True)
    caused_by_user_agent = serializers.CharField(required=False, allow_null=True)
    impersonator_id = serializers.CharField(required=False, allow_null=True)
    impersonator_metadata = serializers.DictField(required=False, allow_null=True)


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
