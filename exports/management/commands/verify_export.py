"""`python manage.py verify_export LOCATION [--from DATE --to DATE] [--json]`."""

import json
from datetime import timedelta

from auditsite_verify import parse_moment
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from exports.destinations.s3 import DestinationError
from exports.models import ExportLocation
from exports.verification import export_location_verify_integrity


class Command(BaseCommand):
    help = (
        "Check an export location's bucket: digest signatures and chain, every "
        "object's SHA-256 and size, coverage with no gap, unlisted objects, and "
        "a digest for every hour up to --to (default: two hours ago). Exits "
        "non-zero when anything is wrong or nothing is verified yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("location", help="Export location id.")
        parser.add_argument("--from", dest="start", help="YYYY-MM-DD or ISO time.")
        parser.add_argument(
            "--to",
            dest="end",
            help="YYYY-MM-DD (inclusive) or ISO; every hour up to it must have a "
            "digest (default: two hours ago).",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, location, start, end, as_json, **options):
        try:
            # An archived (deleted) location's export still verifies.
            target = ExportLocation.all_objects.get(pk=location)
        except (ExportLocation.DoesNotExist, ValidationError, ValueError) as exc:
            raise CommandError(f"No export location {location}") from exc
        end = parse_moment(end, end=True) if end else None
        try:
            report = export_location_verify_integrity(
                location=target,
                start=parse_moment(start) if start else None,
                end=end,
                until=end or timezone.now() - timedelta(hours=2),
            )
        except DestinationError as exc:  # e.g. the outbound guard's refusal
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write("\n".join(report.lines()))
        if not report.ok:
            raise SystemExit(1)
