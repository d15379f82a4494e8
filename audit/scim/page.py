"""The org's SCIM page (``/orgs/<slug>/scim/``): base URL, the key, create, revoke.

For members whose role has `Manage SCIM` (403 otherwise). A new key is shown
once, in the answer to the POST that created it (never stored, never
redirected through the session); the page otherwise shows only its prefix.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from audit.actors import actor_for_request
from audit.scim.selectors import org_for_scim_manager
from audit.services.scim_keys import scim_key_active, scim_key_create, scim_key_revoke
from audit.views import member_page, nav_context


def scim_base_url(request: HttpRequest) -> str:
    """``<site>/scim/v2/``, as the identity provider must be given it."""
    root = reverse("scim-service-provider-config").removesuffix("ServiceProviderConfig")
    return request.build_absolute_uri(root)


@member_page("GET", "POST")
def scim(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the org's SCIM set-up; POST ``action=create`` or ``action=revoke``."""
    org = org_for_scim_manager(user=request.user, slug=slug)
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            _, new_key = scim_key_create(actor=actor_for_request(request), org=org)
        elif action == "revoke":
            active = scim_key_active(org=org)
            if active is not None:
                scim_key_revoke(actor=actor_for_request(request), scim_key=active)
                messages.success(request, f"SCIM key {active.prefix} is revoked.")
            return redirect("org-scim", slug=org.slug)
        else:
            messages.error(request, "Choose create or revoke.")
            return redirect("org-scim", slug=org.slug)
    context = {
        **nav_context(request, org, "scim"),
        "base_url": scim_base_url(request),
        "scim_key": scim_key_active(org=org),
        "new_key": new_key,
    }
    response = render(request, "audit/scim.html", context)
    # The page may hold a key shown once: no cache keeps it.
    response["Cache-Control"] = "no-store"
    return response
