"""`/api/v1/export-locations/`: CRUD, verify, run, replay, run history.

Every operation is tagged ``export-locations`` with a summary and request
and response examples in the OpenAPI schema (``exports/api_examples.py``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.actors import actor_for_request
from audit.permissions import IsOperator
from audit.scopes import Scope
from exports import services
from exports.api_examples import (
    CREATE_EXAMPLES,
    LOCATION_EXAMPLE,
    PATCH_EXAMPLE,
    QUEUED_EXAMPLE,
    REPLAY_EXAMPLE,
    REPLAY_RESULT_EXAMPLE,
    RUN_EXAMPLE,
    VALIDATION_EXAMPLE,
)
from exports.models import ExportLocation
from exports.selectors import export_runs_for
from exports.serializers import (
    ExportLocationSerializer,
    ExportRunSerializer,
    QueuedSerializer,
    ReplayResultSerializer,
    ReplaySerializer,
)

INVALID = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Invalid: the fields and their problems, nothing changed.",
    examples=[VALIDATION_EXAMPLE],
)


def _translated(call, **kwargs):
    """Call a location service; its ValidationError becomes DRF's 400."""
    try:
        return call(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise serializers.ValidationError(detail) from exc


# The tag of every operation below, the actions included.
@extend_schema(tags=["export-locations"])
@extend_schema_view(
    list=extend_schema(
        summary="List export locations",
        description="Every location (S3, Datadog, Splunk, webhook) with its "
        "health, lag and connection status. Secrets are never returned.",
        examples=[LOCATION_EXAMPLE],
    ),
    create=extend_schema(
        summary="Create an export location",
        description="Validated by the same service as the admin and the "
        "command line, then verified (a test delivery); `connection_status` "
        "is `SUCCESS` or the destination's error. `secret_access_key` (S3) "
        "and `destination_secret` (Datadog API key, Splunk token, webhook "
        "secret) are write-only.",
        examples=[*CREATE_EXAMPLES, LOCATION_EXAMPLE],
        responses={201: ExportLocationSerializer, 400: INVALID},
    ),
    retrieve=extend_schema(
        summary="Get an export location",
        examples=[LOCATION_EXAMPLE],
    ),
    update=extend_schema(
        summary="Replace an export location's settings",
        description="Secrets are kept when omitted; the destination cannot "
        "change. Records the operator events of the change.",
        examples=[*CREATE_EXAMPLES, LOCATION_EXAMPLE],
        responses={200: ExportLocationSerializer, 400: INVALID},
    ),
    partial_update=extend_schema(
        summary="Change some settings (pause, resume, filters, secret)",
        description='`{"enabled": false}` pauses (`ExportLocationPaused`), '
        "`true` resumes from the cursor with no gap.",
        examples=[PATCH_EXAMPLE, LOCATION_EXAMPLE],
        responses={200: ExportLocationSerializer, 400: INVALID},
    ),
    destroy=extend_schema(
        summary="Delete an export location",
        description="With its schedules, runs and ledger; records "
        "`ExportLocationDeleted`. Delivered data stays where it was delivered.",
        responses={204: OpenApiResponse(description="Deleted.")},
    ),
)
class ExportLocationViewSet(viewsets.ModelViewSet):
    """Operator API for export locations (S3, Datadog, Splunk, webhooks)."""

    serializer_class = ExportLocationSerializer
    permission_classes = [IsOperator]
    # Reads (list, retrieve, runs) need exports:read; every write, verify,
    # run and replay included, needs exports:write.
    required_scopes = {
        "GET": Scope.EXPORTS_READ,
        "POST": Scope.EXPORTS_WRITE,
        "PUT": Scope.EXPORTS_WRITE,
        "PATCH": Scope.EXPORTS_WRITE,
        "DELETE": Scope.EXPORTS_WRITE,
    }
    queryset = ExportLocation.objects.order_by("name", "id")
    filter_backends: list = []

    def perform_create(self, serializer):
        serializer.instance = _translated(
            services.export_location_create,
            actor=actor_for_request(self.request),
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        secret = data.pop("secret_access_key", None)
        destination_secret = data.pop("destination_secret", None)
        serializer.instance = _translated(
            services.export_location_update,
            actor=actor_for_request(self.request),
            location=serializer.instance,
            secret_access_key=secret,
            destination_secret=destination_secret,
            **data,
        )

    def perform_destroy(self, instance):
        services.export_location_delete(
            actor=actor_for_request(self.request), location=instance
        )

    @extend_schema(
        summary="Verify (send a test delivery)",
        description="S3: writes `verify-test-<timestamp>`; Datadog: one log "
        "`auditsite verification`; Splunk: one event; webhook: a signed "
        '`{"type": "verification"}`. Records `ExportLocationVerified`; the '
        "location comes back with `connection_status` `SUCCESS` or the "
        "receiver's error text.",
        request=None,
        responses=ExportLocationSerializer,
        examples=[LOCATION_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        location = self.get_object()
        services.export_location_verify(
            actor=actor_for_request(request), location=location
        )
        return Response(self.get_serializer(location).data)

    @extend_schema(
        summary="List a location's runs",
        description="Newest first; runs that found nothing to do are not "
        "stored (`last_checked_at` on the location shows them).",
        request=None,
        responses=ExportRunSerializer(many=True),
        examples=[RUN_EXAMPLE],
    )
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        runs = export_runs_for(location=self.get_object())
        page = self.paginate_queryset(runs)
        if page is not None:
            data = ExportRunSerializer(page, many=True).data
            return self.get_paginated_response(data)
        return Response(ExportRunSerializer(runs[:100], many=True).data)

    @extend_schema(
        summary="Run now",
        description="Queues a run (it delivers whatever is pending); a "
        "location backing off after receiver errors waits for its backoff.",
        request=None,
        responses={202: QueuedSerializer},
        examples=[QUEUED_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        services.export_location_run_soon(
            actor=actor_for_request(request), location=self.get_object()
        )
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Replay from a date",
        description="Re-sends every delivered range holding events created "
        "on or after the day (UTC): the same keys for S3, the same "
        "idempotency keys for HTTP destinations. Records "
        "`ExportLocationReplayed`.",
        request=ReplaySerializer,
        responses={202: ReplayResultSerializer, 400: INVALID},
        examples=[REPLAY_EXAMPLE, REPLAY_RESULT_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        serializer = ReplaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.export_location_replay(
            actor=actor_for_request(request),
            location=self.get_object(),
            since=serializer.validated_data["from"],
        )
        return Response({"objects": count}, status=status.HTTP_202_ACCEPTED)
