"""Server-rendered pages for org members."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Staff land in the admin; everyone else signs in."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    return redirect("admin:login")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
