"""Destinations: one module per outside system behind ``base.Destination``."""

from exports.destinations.base import Batch, DeliveryResult, Destination


def destination_for(location) -> Destination:
    """The destination object of an ``ExportLocation`` (by its ``destination``)."""
    kind = location.destination
    if kind == "datadog":
        from exports.destinations.datadog import DatadogDestination

        return DatadogDestination(location)
    if kind == "splunk":
        from exports.destinations.splunk import SplunkDestination

        return SplunkDestination(location)
    if kind == "webhook":
        from exports.destinations.webhook import WebhookDestination

        return WebhookDestination(location)
    from exports.destinations.s3 import S3Destination

    return S3Destination(location)


__all__ = ["Batch", "DeliveryResult", "Destination", "destination_for"]
