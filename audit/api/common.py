"""What the operator API's write views share: reading a JSON body, errors."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response

from audit.api.fields import ApiField, api_name, parse_item
from audit.ingest import MAX_BODY_BYTES
from audit.services.bulk import ItemError, ItemsRejected

TOO_BIG = f"The body is larger than {MAX_BODY_BYTES} bytes."


class BadBody(Exception):
    """The body is not what the endpoint takes; ``response`` says why."""

    def __init__(self, response: Response):
        super().__init__(response.data.get("detail"))
        self.response = response


class ReleasesRequest:
    """An API view that renders its response in ``dispatch`` and lets go of it.

    DRF ties a view, its request and its response in reference cycles
    (``request.parser_context["view"]``, ``view.response``,
    ``response.renderer_context``), which only Python's full garbage
    collection frees, a pass that runs rarely in a long-lived worker: every
    batch's response (1,000 ids) stayed in memory until then, so a worker's
    peak memory grew with the number of batches it had taken
    (bench/ingest.py --memory). Rendered here, the response refers to none
    of them and is freed with the server's last reference to it; the view
    drops its own references, so what stays in the cycles is small.
    Rendering here is what Django would do next (no middleware of this site
    has ``process_template_response``).
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if isinstance(response, Response) and not response.is_rendered:
            response.render()
            del response.renderer_context
        self.response = None
        self.request = self.args = self.kwargs = None
        return response


def error(status_code: int, detail: str, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status_code)


def json_body(request, *, empty: str = "send a JSON object") -> Any:
    """The request's JSON, or :class:`BadBody` (415 not JSON, 413 too big, 400
    empty, saying ``empty``, or malformed).

    Read here rather than by DRF's parser: a malformed body must be a 400
    naming the problem, and a batch is parsed by orjson (fast) once. The
    stream is read directly: ``HttpRequest.body`` would stop at Django's
    2.5 MB ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType(
            request.content_type or "",
            detail="Send JSON with Content-Type: application/json.",
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise BadBody(error(413, TOO_BIG))
    stream = request.stream
    body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(body) > MAX_BODY_BYTES:
        raise BadBody(error(413, TOO_BIG))
    if not body.strip():
        raise BadBody(error(400, f"The body is empty: {empty}."))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBody(error(400, f"Malformed JSON: {exc}", errors=[])) from exc


def object_parse(
    request, fields: tuple[ApiField, ...], *, creating: bool, what: str
) -> tuple[dict[str, Any], list[ItemError]]:
    """A body of one JSON object read as ``fields`` (``parse_item``): its
    values by model attribute and the problems found; :class:`BadBody` if
    the body is not JSON."""
    errors: list[ItemError] = []
    data = parse_item(
        json_body(request), fields, index=0, errors=errors, creating=creating, what=what
    )
    return data, errors


def rejected(
    errors: list[ItemError], fields: tuple[ApiField, ...], *, conflict: bool = False
) -> Response:
    """400 (409 when every problem is a clash) listing ``{index, field, message}``."""
    rows = [
        {
            "index": e.index,
            "field": api_name(fields, e.field),
            "message": e.message,
        }
        for e in sorted(errors, key=lambda e: (e.index, e.field or ""))
    ]
    return error(
        409 if conflict else 400,
        f"{len(rows)} error(s); nothing was stored.",
        errors=rows,
    )


def rejected_by(exc: ItemsRejected, fields: tuple[ApiField, ...]) -> Response:
    return rejected(exc.errors, fields, conflict=exc.conflict)
