"""REST serializers for export locations and their runs."""

from rest_framework import serializers

from exports import services
from exports.models import POSITION_ZERO, ExportLocation, ExportRun
from exports.pending import export_location_health, export_location_lag
from exports.services.location_checks import (
    S3_FIELDS,
    SCHEDULE_FIELDS,
    STATUS_FIELDS,
)


class ExportLocationSerializer(serializers.ModelSerializer):
    """A location; its secrets are write-only and never returned."""

    secret_access_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="S3 access key secret. Write-only.",
    )
    destination_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Datadog API key, Splunk HEC token or webhook HMAC secret. "
        "Write-only; on a change, omit it to keep the stored one.",
    )
    destination_secret_set = serializers.SerializerMethodField()
    destination_options = serializers.JSONField(
        required=False,
        help_text='Datadog: "service", "tags", "hostname", "site"; Splunk: '
        '"index", "source", "sourcetype"; S3 and webhook: none.',
    )
    health = serializers.SerializerMethodField()
    external_id = serializers.CharField(read_only=True)
    trust_policy = serializers.SerializerMethodField()
    bucket_policy = serializers.SerializerMethodField()
    lag = serializers.SerializerMethodField()
    # RelatedObjectDoesNotExist is an AttributeError: no state yet -> the default.
    cursor = serializers.CharField(
        read_only=True, source="state.cursor", default=POSITION_ZERO
    )
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    event_types = serializers.ListField(child=serializers.CharField(), required=False)
    orgs = serializers.ListField(child=serializers.UUIDField(), required=False)

    class Meta:
        model = ExportLocation
        fields = [
            "id",
            "name",
            "destination",
            *S3_FIELDS,
            "secret_access_key",
            "role_arn",
            "external_id",
            "destination_secret",
            "destination_secret_set",
            "destination_options",
            *SCHEDULE_FIELDS,
            *STATUS_FIELDS,
            "cursor",
            "last_checked_at",
            "health",
            "lag",
            "trust_policy",
            "bucket_policy",
            "created_at",
            "updated_at",
        ]
        # The service names a location after its bucket or endpoint if unnamed.
        extra_kwargs = {"name": {"required": False}}
        read_only_fields = [
            *STATUS_FIELDS,
            "last_checked_at",
            "created_at",
            "updated_at",
        ]

    def _s3(self, obj) -> bool:
        return obj.destination == ExportLocation.Destination.S3

    def get_trust_policy(self, obj) -> dict | None:
        return services.trust_policy_for(obj) if self._s3(obj) else None

    def get_bucket_policy(self, obj) -> dict | None:
        return services.bucket_policy_for(obj) if self._s3(obj) else None

    def get_destination_secret_set(self, obj) -> bool:
        return bool(obj.destination_secret_encrypted)

    def _lag(self, obj) -> dict:
        # health and lag share one read of the pending events per location.
        cache = self.context.setdefault("_lag", {})
        if obj.pk not in cache:
            cache[obj.pk] = export_location_lag(location=obj)
        return cache[obj.pk]

    def get_lag(self, obj) -> dict:
        return self._lag(obj)

    def get_health(self, obj) -> dict:
        health = export_location_health(location=obj, lag=self._lag(obj))
        return {"state": health.state, "text": health.text}

    def validate(self, attrs):
        # Validation is the service's (exports.services.locations); the view
        # translates its errors. Only the UUIDs become the stored strings.
        if "orgs" in attrs:
            attrs["orgs"] = [str(o) for o in attrs["orgs"]]
        return attrs


class ExportRunSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = ExportRun
        fields = [
            "id",
            "started_at",
            "finished_at",
            "duration_seconds",
            "status",
            "events",
            "bytes",
            "object_count",
            "error",
            "replay",
            "worker",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, obj) -> float | None:
        return obj.duration.total_seconds() if obj.duration else None


class QueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()


class ReplayResultSerializer(serializers.Serializer):
    objects = serializers.IntegerField(help_text="Ranges that will be re-sent.")


class ReplaySerializer(serializers.Serializer):
    # "from" is a Python keyword, so the field is declared by name below.
    pass


ReplaySerializer._declared_fields["from"] = serializers.DateField()
