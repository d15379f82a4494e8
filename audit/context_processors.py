"""Template context every page gets."""

from audit.middleware import PORTAL_RETURN_KEY, portal_org_slug


def portal(request) -> dict:
    """Whether this is a portal-link session, and the link back to the product.

    The return URL was checked when the link was made; its host is checked
    again here, so narrowing ``AUDITSITE_PORTAL_RETURN_HOSTS`` takes effect.
    """
    from audit.services.portal import return_host_allowed

    slug = portal_org_slug(request)
    if slug is None:
        return {"portal_session": False}
    url = request.session.get(PORTAL_RETURN_KEY) or ""
    return {
        "portal_session": True,
        "portal_return_url": url if url and return_host_allowed(url) else "",
    }
