"""Public, unauthenticated endpoints of the exports app."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from exports.signing import current_public_key, previous_public_keys


@require_GET
def export_public_key(request):
    """The public key that signs export digests (and older ones still valid)."""
    data = current_public_key().as_dict()
    data["previous_keys"] = [key.as_dict() for key in previous_public_keys()]
    response = JsonResponse(data)
    response["Cache-Control"] = "public, max-age=300"
    return response
