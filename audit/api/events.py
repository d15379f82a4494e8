"""Events API: ingest events and read them back (SPEC 3 to 5)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from audit.actors import actor_for_request
from audit.api.common import BadBody, ReleasesRequest, error, json_body
from audit.filters import AuditEventFilter
from audit.ingest import (
    MAX_BATCH_ITEMS,
    MAX_BODY_BYTES,
    IngestRejected,
    events_ingest,
)
from audit.pagination import EventCursorPagination
from audit.permissions import IsOperator
from audit.scopes import Scope
from audit.selectors import event_describe_many, events_all
from audit.serializers import (
    DetailSerializer,
    EventInputSerializer,
    EventSerializer,
    IngestRejectedSerializer,
    IngestResultSerializer,
)


class EventPagination(EventCursorPagination):
    """The keyset pages, saying which page size was used.

    A ``page_size`` over the maximum is capped rather than refused; the
    response's ``page_size`` and the schema say so.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.used_page_size = self.get_page_size(request)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "page_size": self.used_page_size,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["next", "page_size", "results"]
        response["properties"] = {
            "next": response["properties"]["next"],
            "page_size": {
                "type": "integer",
                "description": "The page size used: the requested `page_size`, "
                f"capped at {self.max_page_size}.",
                "example": self.page_size,
            },
            "results": response["properties"]["results"],
        }
        return response

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Events per page (default {self.page_size}). Values over "
                    f"{self.max_page_size} are capped at {self.max_page_size}: "
                    "the response's `page_size` is the size used."
                )
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "default": self.page_size,
                }
        return parameters


EVENT_EXAMPLE = {
    "id": "0b8f4c1e-2d7a-4a55-9a3e-5f1f6f0c9d21",
    "user_email": "ann@acme.example",
    "org_name": "Acme Inc",
    "event_type": "OrgUserAdded",
    "event_data": {"OrgUserAdded": {"role": "Member"}},
    "created_at": 1745598561,
}


class EventList(ListAPIView):
    """``GET``: the events of ``get_queryset()`` newest first, filtered, in
    keyset pages, each with its description (the catalog read once a page)."""

    serializer_class = EventSerializer
    pagination_class = EventPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(
            page, many=True, context={"descriptions": event_describe_many(page)}
        )
        return self.get_paginated_response(serializer.data)


class EventDetail(GenericAPIView):
    """``GET``: the event of ``get_queryset()`` whose ``id`` is the URL's (or
    404), with its description."""

    serializer_class = EventSerializer

    # No docstring on get: drf-spectacular would take it for the view's.
    def get(self, request, id):
        event = get_object_or_404(self.get_queryset(), uuid=id)
        serializer = self.get_serializer(
            event, context={"descriptions": event_describe_many([event])}
        )
        return Response(serializer.data)


class OperatorEventView:
    """What the operator's event views share: operators only, every event."""

    permission_classes = [IsOperator]

    def get_queryset(self):
        return events_all()


@extend_schema_view(
    get=extend_schema(
        operation_id="events_list",
        tags=["events"],
        summary="List events",
        description="Newest first (`created_at`, then arrival order). Follow "
        "`next` to page: every event that existed when paging started is "
        "returned exactly once, even while new events arrive.",
    )
)
class EventListView(ReleasesRequest, OperatorEventView, EventList):
    """``GET``: events newest first, filtered; ``POST``: ingest events."""

    required_scopes = {"GET": Scope.EVENTS_READ, "POST": Scope.EVENTS_WRITE}
    # Only for the browsable API's form: POST parses its body itself.
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="events_create",
        tags=["events"],
        summary="Ingest events",
        description=(
            f"One event object or a JSON array of up to {MAX_BATCH_ITEMS} "
            f"(body at most {MAX_BODY_BYTES // (1024 * 1024)} MB), in the SPEC "
            "section 3 format. All or nothing: if any item is invalid, nothing "
            "is stored and the 400 lists every `{index, field, message}`. "
            "Items whose `id` is already stored are not stored again and are "
            "listed in `already_stored` (the first write wins). Answers 201 "
            "when something was stored, 200 when every item was already there."
        ),
        request=PolymorphicProxySerializer(
            component_name="EventOrBatch",
            serializers=[EventInputSerializer, EventInputSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: IngestResultSerializer,
            200: IngestResultSerializer,
            400: OpenApiResponse(
                IngestRejectedSerializer, description="Invalid batch or JSON."
            ),
            401: OpenApiResponse(DetailSerializer, description="Bad or no key."),
            413: OpenApiResponse(DetailSerializer, description="Batch too large."),
            415: OpenApiResponse(DetailSerializer, description="Not JSON."),
            429: OpenApiResponse(DetailSerializer, description="Throttled."),
        },
        examples=[OpenApiExample("One event", value=EVENT_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        try:
            payload = json_body(request, empty="send an event or an array")
        except BadBody as bad:
            return bad.response
        if isinstance(payload, dict):
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            return error(400, "Send an event object or an array of them.", errors=[])
        if not items:
            return error(400, "The batch is empty.", errors=[])
        if len(items) > MAX_BATCH_ITEMS:
            return error(
                413,
                f"A batch holds at most {MAX_BATCH_ITEMS} events, not {len(items)}.",
            )
        try:
            result = events_ingest(actor=actor_for_request(request), items=items)
        except IngestRejected as rejected:
            return error(
                400,
                f"{len(rejected.errors)} error(s); nothing was stored.",
                errors=[error.as_dict() for error in rejected.errors],
            )
        return Response(
            {
                "stored": result.stored,
                "already_stored": result.already_stored,
                "ids": result.ids,
            },
            status=status.HTTP_201_CREATED if result.stored else status.HTTP_200_OK,
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="events_retrieve",
        tags=["events"],
        summary="Get one event",
        responses={200: EventSerializer},
    )
)
class EventDetailView(OperatorEventView, EventDetail):
    """One event by its ``id``."""

    required_scopes = {"GET": Scope.EVENTS_READ}
