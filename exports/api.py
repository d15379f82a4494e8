"""`/api/v1/export-locations/`: CRUD, verify, run, replay, run history."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.actors import actor_for_request
from audit.permissions import IsOperator
from exports import services
from exports.models import ExportLocation
from exports.selectors import export_runs_for
from exports.serializers import (
    ExportLocationSerializer,
    ExportRunSerializer,
    ReplaySerializer,
)


def _translated(call, **kwargs):
    """Call a location service; its ValidationError becomes DRF's 400."""
    try:
        return call(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise serializers.ValidationError(detail) from exc


class ExportLocationViewSet(viewsets.ModelViewSet):
    """Operator API for S3 export locations."""

    serializer_class = ExportLocationSerializer
    permission_classes = [IsOperator]
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

    @extend_schema(request=None, responses=ExportLocationSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        location = self.get_object()
        services.export_location_verify(
            actor=actor_for_request(request), location=location
        )
        return Response(self.get_serializer(location).data)

    @extend_schema(request=None, responses=ExportRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        runs = export_runs_for(location=self.get_object())
        page = self.paginate_queryset(runs)
        if page is not None:
            data = ExportRunSerializer(page, many=True).data
            return self.get_paginated_response(data)
        return Response(ExportRunSerializer(runs[:100], many=True).data)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        services.export_location_run_soon(
            actor=actor_for_request(request), location=self.get_object()
        )
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReplaySerializer, responses={202: None})
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
