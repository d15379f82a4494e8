"""``/portal/<token>``: a member opens the portal link the host product minted.

A GET spends nothing: it answers a small page whose script submits a POST,
and the POST spends the link. Mail and chat link scanners fetch a GET
(often before the member clicks) and would otherwise use the link up; they
do not run scripts or submit forms. Without JavaScript the page shows a
button. The POST is exempt from CSRF: the token in the URL is the secret,
and the page may be opened inside the host product's frame, where a
cross-site CSRF cookie would not be sent.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from audit.actors import actor_for_request
from audit.middleware import PORTAL_RETURN_KEY, PORTAL_SESSION_KEY
from audit.services import portal

BACKEND = "audit.backends.EmailBackend"
PROBLEMS = {
    portal.LinkProblem.USED: "This link has already been used. Links work once: "
    "ask for a new one from the product you came from.",
    portal.LinkProblem.EXPIRED: "This link has expired. Ask for a new one from "
    "the product you came from.",
    portal.LinkProblem.INVALID: "This link is not valid: it may have been "
    "altered or cut short. Copy the whole link, or ask for a new one.",
    portal.LinkProblem.NOT_ALLOWED: "This link's account can no longer see this "
    "organization's audit log.",
}


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def portal_open(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the page that opens the link; POST: spend it, sign in, go to the log."""
    if request.method == "GET":
        return render(request, "audit/portal_open.html", {"token": token})
    try:
        link = portal.portal_link_open(actor=actor_for_request(request), token=token)
    except portal.PortalLinkInvalid as invalid:
        portal.portal_link_failed(
            actor=actor_for_request(
                request, user=invalid.link.user if invalid.link else None
            ),
            problem=invalid.problem,
            link=invalid.link,
        )
        return render(
            request,
            "audit/portal_invalid.html",
            {"problem": invalid.problem.value, "message": PROBLEMS[invalid.problem]},
            status=403,
        )
    # The sign-in records UserLoginAttempt (success, method portal_link).
    request.login_method = portal.METHOD
    login(request, link.user, backend=BACKEND)
    request.session[PORTAL_SESSION_KEY] = link.org.slug
    request.session[PORTAL_RETURN_KEY] = link.return_url
    return redirect("org-audit-log", slug=link.org.slug)
