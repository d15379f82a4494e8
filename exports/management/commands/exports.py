"""`python manage.py exports ...`: manage export locations (SPEC section 6)."""

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from exports import services
from exports.models import ExportLocation

AUTH_TYPES = {
    "access-key": ExportLocation.AuthType.ACCESS_KEY,
    "assumed-role": ExportLocation.AuthType.ASSUMED_ROLE,
}


# config.json key -> location field (SPEC section 6; Immuta's names).
CONFIG_FIELDS = {
    "name": "name",
    "bucket": "bucket",
    "region": "region",
    "path": "path_prefix",
    "endpointUrl": "endpoint_url",
    "accessKeyId": "access_key_id",
    "roleArn": "role_arn",
    "interval": "interval",
    "format": "file_format",
    "categories": "categories",
    "eventTypes": "event_types",
    "orgs": "orgs",
}
FIELD_KEYS = {field: key for key, field in CONFIG_FIELDS.items()}
FIELD_KEYS["secret_access_key"] = "secretAccessKey"


def _config_message(exc: ValidationError) -> str:
    """The service's errors as one line, named as config.json names them."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    return "; ".join(
        f"{FIELD_KEYS.get(field, field)}: {' '.join(messages)}"
        for field, messages in exc.message_dict.items()
    )


def _location(location_id: str) -> ExportLocation:
    try:
        return ExportLocation.objects.get(pk=location_id)
    except (ExportLocation.DoesNotExist, ValueError, Exception) as exc:
        raise CommandError(f"no export location {location_id}") from exc


class Command(BaseCommand):
    help = (
        "Create, list, verify, run, replay and delete S3 export locations, and "
        "write their due digests. Runs, objects and digests are read-only."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create from a config.json")
        create.add_argument("--auth", choices=sorted(AUTH_TYPES), required=True)
        create.add_argument("config", help="path to config.json")
        listing = sub.add_parser("list", help="list locations")
        listing.add_argument("--json", action="store_true")
        for name in ("verify", "run", "delete", "digest"):
            sub.add_parser(name).add_argument("id")
        replay = sub.add_parser("replay", help="re-send objects from a date")
        replay.add_argument("id")
        replay.add_argument("--from", dest="since", required=True)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, auth, config, **_):
        try:
            with open(config) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {config}: {exc}") from None
        if not isinstance(data, dict):
            raise CommandError(f"{config} must hold a JSON object")
        auth_type = AUTH_TYPES[auth]
        fields = {
            field: data[key] for key, field in CONFIG_FIELDS.items() if key in data
        }
        fields.setdefault("interval", "")
        fields.setdefault("bucket", "")
        try:
            location = services.export_location_create(
                actor=Actor.system(),
                auth_type=auth_type,
                secret_access_key=data.get("secretAccessKey", ""),
                **fields,
            )
        except ValidationError as exc:
            raise CommandError(_config_message(exc)) from None
        self.stdout.write(f"{location.pk} {location.connection_status}")
        if auth_type == ExportLocation.AuthType.ASSUMED_ROLE:
            self.stdout.write("Trust policy (ExternalId is the location id):")
            policy = services.trust_policy_for(location)
            self.stdout.write(json.dumps(policy, indent=2))
        self.stdout.write("Minimal bucket policy:")
        policy = services.bucket_policy_for(location)
        self.stdout.write(json.dumps(policy, indent=2))

    def _list(self, *, json: bool = False, **_):
        import json as jsonlib

        rows = [
            {
                "id": str(loc.pk),
                "name": loc.name,
                "bucket": loc.bucket,
                "interval": loc.interval,
                "enabled": loc.enabled,
                "connection_status": loc.connection_status,
                "in_error": loc.in_error,
                "last_error": loc.last_error,
            }
            for loc in ExportLocation.objects.order_by("name", "id")
        ]
        if json:
            self.stdout.write(jsonlib.dumps(rows, indent=2))
            return
        self.stdout.write(
            "\t".join(["id", "name", "bucket", "interval", "enabled", "connection"])
        )
        for row in rows:
            self.stdout.write(
                "\t".join(
                    [
                        row["id"],
                        row["name"],
                        row["bucket"],
                        row["interval"],
                        "enabled" if row["enabled"] else "disabled",
                        row["connection_status"] or "-",
                    ]
                )
            )

    def _verify(self, *, id, **_):
        status = services.export_location_verify(
            actor=Actor.system(), location=_location(id)
        )
        self.stdout.write(status)
        if status != "SUCCESS":
            raise CommandError(status)

    def _run(self, *, id, **_):
        location = _location(id)
        run = services.export_location_run(location_id=location.pk)
        if run is None:
            raise CommandError("another run holds this location (or it is disabled)")
        self.stdout.write(
            f"{run.status}: {run.events} events, {run.object_count} objects, "
            f"{run.bytes} bytes"
        )
        if run.status == run.Status.FAILED:
            raise CommandError(run.error)

    def _replay(self, *, id, since, **_):
        location = _location(id)
        count = services.export_location_replay(
            actor=Actor.system(), location=location, since=date.fromisoformat(since)
        )
        self.stdout.write(f"re-sending {count} objects")
        self._run(id=id)

    def _digest(self, *, id, **_):
        try:
            written = services.digest_write_all_due(location=_location(id))
        except Exception as exc:  # the destination refused: say so, no traceback
            raise CommandError(f"digest writing failed: {exc}") from None
        self.stdout.write(f"wrote {written} digests")

    def _delete(self, *, id, **_):
        services.export_location_delete(actor=Actor.system(), location=_location(id))
        self.stdout.write("deleted")
