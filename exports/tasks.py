"""django-q2 tasks: load ids, call one service."""

from audit.services import Actor
from exports import services
from exports.models import ExportLocation


def export_location_run_task(location_id: str) -> str:
    """Scheduled run of one export location."""
    run = services.export_location_run(location_id=location_id)
    return run.status if run else "busy"


def export_continuous_task(covers_until: float | None = None) -> int:
    """Queued by ``services.continuous_notify``: run the CONTINUOUS locations."""
    return services.export_continuous_run(covers_until=covers_until)


def export_location_verify_task(location_id: str) -> str:
    """Verify one export location (writes a test object)."""
    location = ExportLocation.objects.get(pk=location_id)
    return services.export_location_verify(actor=Actor.system(), location=location)
