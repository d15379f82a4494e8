"""Destinations: one module per outside system behind ``base.Destination``."""

from exports.destinations.base import Batch, DeliveryResult, Destination


def destination_for(location) -> Destination:
    """The destination object of an ``ExportLocation`` (S3 is the only kind yet)."""
    from exports.destinations.s3 import S3Destination

    return S3Destination(location)


__all__ = ["Batch", "DeliveryResult", "Destination", "destination_for"]
