"""A portal-link session reaches one org's pages and nothing else (SPEC 10).

Opening a portal link signs the member in and puts the org's slug in the
session under ``PORTAL_SESSION_KEY``. While it is there, a request may only
go to that org's pages (``/orgs/<slug>/...``: its log, exports, members),
sign in or out, open another portal link or fetch static files; the start page
leads to the org's log, and everything else (another org, ``/admin/``, the
API, the account page) is a 403. Signing in any other way drops the key
(``audit.signin``).
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render

PORTAL_SESSION_KEY = "auditsite_portal_org"
PORTAL_RETURN_KEY = "auditsite_portal_return_url"
_ALWAYS = ("/accounts/login/", "/accounts/logout/", "/portal/", "/healthz")


def portal_org_slug(request) -> str | None:
    """The org a portal-link session is held to, or None for other sessions."""
    session = getattr(request, "session", None)
    return session.get(PORTAL_SESSION_KEY) if session is not None else None


class PortalSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        slug = portal_org_slug(request)
        if slug is None:
            return self.get_response(request)
        path = request.path
        if path.startswith((f"/orgs/{slug}/", settings.STATIC_URL, *_ALWAYS)):
            return self.get_response(request)
        if path == "/":
            return redirect("org-audit-log", slug=slug)
        return render(
            request,
            "audit/portal_denied.html",
            {"portal_org_slug": slug},
            status=403,
        )
