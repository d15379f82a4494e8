"""Page-level security switches shared by the apps (SPEC 10, 12).

Every response carries the site's Content-Security-Policy (django-csp, see
``CONTENT_SECURITY_POLICY`` in settings) with ``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``. ``embeddable`` marks the pages a host product may
show in a frame: every org page, which the apps' URL confs list with
``embeddable_pages`` under ``orgs/<slug:slug>/``.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.urls import path


def embeddable(view):
    """Let the origins in ``AUDITSITE_EMBED_ORIGINS`` frame this view.

    With no origins configured the page stays unframeable (``frame-ancestors
    'none'`` and ``X-Frame-Options: DENY``); with some, ``frame-ancestors``
    lists them and ``X-Frame-Options`` is left out (it cannot name origins,
    and a browser would let its DENY win).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        origins = list(settings.AUDITSITE_EMBED_ORIGINS)
        if origins:
            response._csp_replace = {"frame-ancestors": origins}
            response.xframe_options_exempt = True
        return response

    return wrapped


def embeddable_pages(*pages):
    """A URL pattern per ``(route, view, name)``, each view ``embeddable``."""
    return [path(route, embeddable(view), name=name) for route, view, name in pages]
